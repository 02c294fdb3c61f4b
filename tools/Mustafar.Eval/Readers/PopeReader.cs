using System.Text.Json.Nodes;
using Mustafar.Eval.Items;
using Mustafar.Eval.Scoring;

namespace Mustafar.Eval.Readers;

/// <summary>POPE: JSON lines {question_id, image, text, label: yes|no, category?} (POPE's coco_pope_{random, popular,
/// adversarial}.json, one object per line). The path is a file or a folder of such files; an item's category is its
/// "category" field, else the file's name after "pope_" (coco_pope_adversarial.json: adversarial). Images: --images
/// (COCO val2014). Ids are "{category}/{question_id}", since each POPE file numbers its questions from 1.</summary>
public static class PopeReader
{
    public static Benchmark Read(ReaderOptions options)
    {
        var files = Directory.Exists(options.Path)
            ? Directory.EnumerateFiles(options.Path).Where(f => f.EndsWith(".json", StringComparison.Ordinal) || f.EndsWith(".jsonl", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList()
            : [options.Path];
        var images = options.Images ?? throw new ArgumentException("POPE needs --images: the COCO val2014 folder its questions refer to");
        var items = new List<EvalItem>();
        foreach (var file in files)
        {
            var fromName = Path.GetFileNameWithoutExtension(file);
            var afterPope = fromName.LastIndexOf("pope_", StringComparison.Ordinal);
            fromName = afterPope >= 0 ? fromName[(afterPope + "pope_".Length)..] : fromName;
            foreach (var line in File.ReadLines(file).Where(l => !string.IsNullOrWhiteSpace(l)))
            {
                var row = JsonNode.Parse(line)!;
                string Field(string name) => row[name]?.ToString() ?? throw new InvalidDataException($"{file}: a line has no \"{name}\": {line}");
                var category = row["category"]?.ToString() ?? fromName;
                items.Add(new EvalItem(
                    $"{category}/{Field("question_id")}",
                    Prompts.Append(Field("text"), options, Prompts.ShortAnswer),
                    Field("label").Trim().ToLowerInvariant(),
                    [category],
                    EvalImage.FromFile(ImageFolder.Resolve(images, Field("image")))));
            }
        }
        return new Benchmark("pope", ItemIds.Unique(items, options.Path), new PopeScorer());
    }
}
