using System.Globalization;
using System.Text.Json.Nodes;
using Mustafar.Eval.Items;
using Mustafar.Eval.Scoring;

namespace Mustafar.Eval.Readers;

/// <summary>The generic set: one JSON object per line, {"image", "question", "answer", "category"?, "id"?}; images
/// relative to --images, else to the file's folder. Open answers, normalised exact match.</summary>
public static class GenericJsonlReader
{
    public static Benchmark Read(ReaderOptions options)
    {
        var images = ImageFolder.Of(options, options.Path);
        var items = new List<EvalItem>();
        var number = 0;
        foreach (var line in File.ReadLines(options.Path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var row = JsonNode.Parse(line) ?? throw new InvalidDataException($"{options.Path}:{number}: not a JSON object");
            string Field(string name) => row[name]?.ToString() ?? throw new InvalidDataException($"{options.Path}:{number}: \"{name}\" is missing");
            items.Add(new EvalItem(
                row["id"]?.ToString() ?? number.ToString(CultureInfo.InvariantCulture),
                Prompts.Append(Field("question"), options, ""),
                Field("answer"),
                [row["category"]?.ToString() ?? "uncategorised"],
                EvalImage.FromFile(ImageFolder.Resolve(images, Field("image")))));
        }
        return new Benchmark("generic", ItemIds.Unique(items, options.Path), new ExactMatchScorer());
    }
}
