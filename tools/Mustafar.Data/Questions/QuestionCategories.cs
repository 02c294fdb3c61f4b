using Mustafar.Data.Scenes;

namespace Mustafar.Data.Questions;

/// <summary>The question types (an item's "category", as `mustafar eval` reports them) and the answers each type can
/// have: the vocabulary behind each type's chance accuracy.</summary>
public static class QuestionCategories
{
    public const string Colour = "colour";
    public const string Shape = "shape";
    public const string Count = "count";
    public const string Position = "position";
    public const string Relation = "relation";

    public static IReadOnlyList<string> All { get; } = [Colour, Shape, Count, Position, Relation];

    /// <summary>Count answers are digit words: a scene has at most four shapes.</summary>
    public static IReadOnlyList<string> NumberWords { get; } = ["zero", "one", "two", "three", "four"];

    /// <summary>Every answer a question of the category can have. A position question offers two of the four
    /// (left/right or top/bottom), so its chance is 1/2, not 1/4.</summary>
    public static IReadOnlyList<string> Answers(string category) => category switch
    {
        Colour => [.. ShapeColours.All.Select(c => c.Word())],
        Shape => [.. ShapeKinds.All.Select(k => k.Word())],
        Count => NumberWords,
        Position => ["left", "right", "top", "bottom"],
        Relation => ["yes", "no"],
        _ => throw new ArgumentException($"unknown question category '{category}'", nameof(category)),
    };

    /// <summary>How many answers a guess chooses among: the options one question offers.</summary>
    public static int OptionsPerQuestion(string category) => category == Position ? 2 : Answers(category).Count;
}
