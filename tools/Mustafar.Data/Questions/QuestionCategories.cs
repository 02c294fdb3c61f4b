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

    /// <summary>The answer sets a question of the category offers: one set per type, except position, whose
    /// questions offer left/right or top/bottom. A guess chooses within one set, so chance is 1 over its size.</summary>
    public static IReadOnlyList<IReadOnlyList<string>> OptionSets(string category) => category switch
    {
        Colour => [[.. ShapeColours.All.Select(c => c.Word())]],
        Shape => [[.. ShapeKinds.All.Select(k => k.Word())]],
        Count => [NumberWords],
        Position => [["left", "right"], ["top", "bottom"]],
        Relation => [["yes", "no"]],
        _ => throw new ArgumentException($"unknown question category '{category}'", nameof(category)),
    };

    /// <summary>Every answer a question of the category can have.</summary>
    public static IReadOnlyList<string> Answers(string category) => [.. OptionSets(category).SelectMany(set => set)];
}
