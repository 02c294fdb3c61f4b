using System.Text.Json.Serialization;

namespace Mustafar.Eval.Running;

/// <summary>One line of the --out JSONL: everything needed to read a result without the benchmark at hand, and
/// (variant, id, answer) to resume a run without asking again.</summary>
public sealed record LoggedAnswer(
    [property: JsonPropertyName("variant")] string Variant,
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("question")] string Question,
    [property: JsonPropertyName("answer")] string Answer,
    [property: JsonPropertyName("expected")] string Expected,
    [property: JsonPropertyName("category")] string Category,
    [property: JsonPropertyName("categories")] IReadOnlyList<string> Categories,
    [property: JsonPropertyName("correct")] bool Correct)
{
    public static LoggedAnswer Of(string variant, ItemResult result) => new(
        variant, result.Item.Id, result.Item.Question, result.Answer, result.Item.Expected,
        result.Item.Categories.Count > 0 ? result.Item.Categories[0] : "", result.Item.Categories, result.Correct);
}
