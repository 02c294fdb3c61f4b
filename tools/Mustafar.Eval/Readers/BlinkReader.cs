using System.Collections;
using Mustafar.Eval.Items;
using Mustafar.Eval.Scoring;
using Parquet.Serialization;

namespace Mustafar.Eval.Readers;

/// <summary>BLINK in its Hugging Face layout: one folder per subtask holding Parquet files per split
/// (Relative_Depth/val-00000-of-00001.parquet) with the columns idx, question, choices, answer ("(A)"), prompt and
/// image_1..image_4 as {bytes, path} structs. The subtasks the paper uses are the default; others load the same way.
/// The gateway answers about one image, so items with several images are left out (counted in the notes).
/// Multiple choice labelled A, B, C, ... as BLINK's prompts print them.</summary>
public static class BlinkReader
{
    public static IReadOnlyList<string> PaperSubtasks { get; } = ["Relative_Depth", "Spatial_Relation"];

    public static async Task<Benchmark> ReadAsync(ReaderOptions options, CancellationToken cancellationToken)
    {
        var wanted = options.Subtasks ?? PaperSubtasks;
        var all = wanted.Count == 1 && wanted[0] == "all";
        var files = Directory.EnumerateFiles(options.Path, "*.parquet", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f).StartsWith(options.Split, StringComparison.Ordinal))
            .Select(f => (File: f, Subtask: Path.GetFileName(Path.GetDirectoryName(f))!))
            .Where(f => all || wanted.Contains(f.Subtask, StringComparer.OrdinalIgnoreCase))
            .OrderBy(f => f.Subtask, StringComparer.Ordinal).ThenBy(f => f.File, StringComparer.Ordinal).ToList();
        if (files.Count == 0)
            throw new FileNotFoundException($"no {options.Split}*.parquet of the subtasks {string.Join(", ", wanted)} under {options.Path} (layout: SUBTASK/{options.Split}-*.parquet)");

        var items = new List<EvalItem>();
        var skipped = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (file, subtask) in files)
        {
            await using var stream = File.OpenRead(file);
            var rows = await ParquetSerializer.DeserializeUntypedAsync(stream, cancellationToken: cancellationToken);
            foreach (var row in rows.Data)
            {
                var images = Enumerable.Range(1, 4).Select(i => ImageBytes(row, $"image_{i}")).OfType<byte[]>().ToList();
                if (images.Count != 1) { skipped[subtask] = skipped.GetValueOrDefault(subtask) + 1; continue; }
                var choices = Strings(row.GetValueOrDefault("choices")).Select((text, i) => new Choice(((char)('A' + i)).ToString(), text)).ToList();
                var question = Text(row, "prompt") is { Length: > 0 } prompt ? prompt : Text(row, "question");
                items.Add(new EvalItem(Text(row, "idx"), Prompts.Append(question, options, Prompts.OptionLetter), Text(row, "answer").Trim('(', ')', ' '), [subtask], EvalImage.FromBytes(images[0]))
                {
                    Choices = choices,
                });
            }
        }
        var notes = skipped.Select(s => $"{s.Key}: {s.Value} items with more than one image left out (the gateway answers about one image)").ToList();
        return new Benchmark("blink", ItemIds.Unique(items, options.Path), new MultipleChoiceScorer()) { Notes = notes };
    }

    /// <summary>An image struct's bytes; null when the column is absent or null (subtasks with fewer images).</summary>
    private static byte[]? ImageBytes(Dictionary<string, object> row, string column) =>
        row.GetValueOrDefault(column) is IDictionary<string, object> image && image.TryGetValue("bytes", out var bytes) && bytes is byte[] { Length: > 0 } b ? b : null;

    /// <summary>Parquet.Net hands strings back as string or as ReadOnlyMemory&lt;char&gt; depending on nesting.</summary>
    private static string Text(Dictionary<string, object> row, string column) => row.GetValueOrDefault(column)?.ToString() ?? "";

    private static IEnumerable<string> Strings(object? list) =>
        list is IEnumerable values and not string ? values.Cast<object?>().Select(v => v?.ToString() ?? "") : [];
}
