using Mustafar.Eval.Items;

namespace Mustafar.Eval.Readers;

/// <summary>The formats `mustafar eval --format` reads.</summary>
public static class BenchmarkFormats
{
    public static IReadOnlyList<string> Names { get; } = ["generic", "llava", "mmvp", "gqa", "pope", "blink"];

    public static async Task<Benchmark> ReadAsync(string format, ReaderOptions options, CancellationToken cancellationToken) => format switch
    {
        "generic" => GenericJsonlReader.Read(options),
        "llava" => LlavaConversationReader.Read(options),
        "mmvp" => MmvpReader.Read(options),
        "gqa" => GqaReader.Read(options),
        "pope" => PopeReader.Read(options),
        "blink" => await BlinkReader.ReadAsync(options, cancellationToken),
        _ => throw new ArgumentException($"unknown format '{format}'; known: {string.Join(", ", Names)}"),
    };
}
