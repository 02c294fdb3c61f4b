namespace Mustafar.Data.Scenes;

public enum ShapeKind { Circle, Square, Triangle }

/// <summary>The words a question and an answer use for each shape.</summary>
public static class ShapeKinds
{
    public static IReadOnlyList<ShapeKind> All { get; } = Enum.GetValues<ShapeKind>();

    public static string Word(this ShapeKind kind) => kind switch
    {
        ShapeKind.Circle => "circle",
        ShapeKind.Square => "square",
        ShapeKind.Triangle => "triangle",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static ShapeKind Parse(string word) =>
        All.FirstOrDefault(k => k.Word() == word, (ShapeKind)(-1)) is var kind && kind >= 0 ? kind
        : throw new ArgumentException($"unknown shape '{word}'", nameof(word));
}
