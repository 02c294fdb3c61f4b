using System.Globalization;
using System.Text.Json.Nodes;
using Mustafar.Eval.Items;
using Mustafar.Eval.Scoring;

namespace Mustafar.Eval.Readers;

/// <summary>LLaVA's conversation JSON (LLaVA-Pretrain, LLaVA-Mix-665K, and the synthetic set of the training issue):
/// a list of {"id", "image", "conversations": [{"from": "human", "value": "&lt;image&gt;\n..."}, {"from": "gpt",
/// "value": ...}], "category"?}. The first human turn without the image placeholder is the question, the first gpt
/// turn the expected answer; images relative to --images, else to the file's folder.</summary>
public static class LlavaConversationReader
{
    public static Benchmark Read(ReaderOptions options)
    {
        var images = ImageFolder.Of(options, options.Path);
        var list = JsonNode.Parse(File.ReadAllText(options.Path)) as JsonArray ?? throw new InvalidDataException($"{options.Path}: not a JSON list");
        var items = new List<EvalItem>(list.Count);
        for (var i = 0; i < list.Count; i++)
        {
            var sample = list[i] ?? throw new InvalidDataException($"{options.Path}[{i}]: null");
            var turns = sample["conversations"] as JsonArray ?? throw new InvalidDataException($"{options.Path}[{i}]: no conversations");
            string Turn(string from) => turns.FirstOrDefault(t => t?["from"]?.ToString() == from)?["value"]?.ToString()
                ?? throw new InvalidDataException($"{options.Path}[{i}]: no \"{from}\" turn");
            var image = sample["image"]?.ToString() ?? throw new InvalidDataException($"{options.Path}[{i}]: no image");
            items.Add(new EvalItem(
                sample["id"]?.ToString() ?? i.ToString(CultureInfo.InvariantCulture),
                Prompts.Append(Turn("human").Replace("<image>", "", StringComparison.Ordinal).Trim(), options, ""),
                Turn("gpt").Trim(),
                [sample["category"]?.ToString() ?? "uncategorised"],
                EvalImage.FromFile(ImageFolder.Resolve(images, image))));
        }
        return new Benchmark("llava", ItemIds.Unique(items, options.Path), new ExactMatchScorer());
    }
}
