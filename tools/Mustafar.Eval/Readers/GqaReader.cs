using System.Text.Json.Nodes;
using Mustafar.Eval.Items;
using Mustafar.Eval.Scoring;

namespace Mustafar.Eval.Readers;

/// <summary>GQA's balanced questions file (testdev_balanced_questions.json: an object keyed by question id, each
/// with imageId, question, answer and types {structural, semantic, detailed}) and its image folder ({imageId}.jpg;
/// --images, else "images" beside the file). Each question counts under "structural/{type}" and "semantic/{type}".</summary>
public static class GqaReader
{
    public static Benchmark Read(ReaderOptions options)
    {
        var images = ImageFolder.Of(options, options.Path, "images");
        var questions = JsonNode.Parse(File.ReadAllText(options.Path)) as JsonObject ?? throw new InvalidDataException($"{options.Path}: not a JSON object keyed by question id");
        var items = new List<EvalItem>(questions.Count);
        foreach (var (id, question) in questions)
        {
            string Field(string name) => question?[name]?.ToString() ?? throw new InvalidDataException($"{options.Path}: question {id} has no \"{name}\"");
            var types = question?["types"];
            items.Add(new EvalItem(
                id,
                Prompts.Append(Field("question"), options, Prompts.ShortAnswer),
                Field("answer"),
                [$"structural/{types?["structural"]}", $"semantic/{types?["semantic"]}"],
                EvalImage.FromFile(ImageFolder.Resolve(images, Field("imageId"), ".jpg", ".png"))));
        }
        return new Benchmark("gqa", items, new ExactMatchScorer());
    }
}
