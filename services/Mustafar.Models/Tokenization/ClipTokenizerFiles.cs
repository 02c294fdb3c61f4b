using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mustafar.Models.Tokenization;

/// <summary>
/// A CLIPTokenizer folder as <c>save_pretrained</c> writes it: <c>vocab.json</c>, <c>merges.txt</c>,
/// <c>tokenizer_config.json</c> and <c>special_tokens_map.json</c>. As in transformers, a special token named in
/// special_tokens_map.json overrides the one in tokenizer_config.json; missing ones take CLIPTokenizer's
/// defaults (&lt;|startoftext|&gt;, &lt;|endoftext|&gt; for eos, unk and pad).
/// </summary>
public sealed record ClipTokenizerFiles(
    string Folder,
    IReadOnlyDictionary<string, int> Vocabulary,
    IReadOnlyList<string> Merges,
    string BosToken,
    string EosToken,
    string UnkToken,
    string PadToken,
    int? ModelMaxLength,
    IReadOnlyList<ClipAddedToken> AddedTokens)
{
    /// <summary>transformers' CLIPTokenizer reads at most this many merges (49152 - 256 - 2), skipping line 1.</summary>
    public const int MaxMerges = 49152 - 256 - 2;

    public static ClipTokenizerFiles Load(string folder)
    {
        var vocabPath = Path.Combine(folder, "vocab.json");
        var mergesPath = Path.Combine(folder, "merges.txt");
        foreach (var required in new[] { vocabPath, mergesPath })
            if (!File.Exists(required)) throw new FileNotFoundException($"CLIP tokenizer file '{required}' does not exist");

        var vocabulary = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllBytes(vocabPath))
            ?? throw new InvalidDataException($"{vocabPath}: not a JSON object of token ids");
        // transformers drops the first line (the "#version" header) unconditionally.
        var merges = File.ReadAllText(mergesPath).Trim().Split('\n').Skip(1).Take(MaxMerges)
            .Select(line => line.TrimEnd('\r')).Where(line => line.Length > 0).ToList();

        var config = ReadObject(Path.Combine(folder, "tokenizer_config.json"));
        var map = ReadObject(Path.Combine(folder, "special_tokens_map.json"));
        string Special(string key, string fallback) =>
            TokenContent(map[key]) ?? TokenContent(config[key]) ?? fallback;

        var added = new List<ClipAddedToken>();
        if (config["added_tokens_decoder"] is JsonObject decoder)
            foreach (var (idText, node) in decoder)
                if (node is JsonObject entry && TokenContent(entry) is { } content && int.TryParse(idText, out var id))
                    added.Add(new ClipAddedToken(content, id,
                        entry["lstrip"]?.GetValue<bool>() ?? false, entry["rstrip"]?.GetValue<bool>() ?? false));

        int? maxLength = config["model_max_length"] is JsonValue v && v.TryGetValue<double>(out var length) && length < int.MaxValue
            ? (int)length : null;
        return new ClipTokenizerFiles(folder, vocabulary, merges,
            Special("bos_token", "<|startoftext|>"), Special("eos_token", "<|endoftext|>"),
            Special("unk_token", "<|endoftext|>"), Special("pad_token", "<|endoftext|>"), maxLength, added);
    }

    private static JsonObject ReadObject(string path) =>
        File.Exists(path)
            ? JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path}: not a JSON object")
            : [];

    // Tokens are written either as a plain string or as an AddedToken object with "content".
    private static string? TokenContent(JsonNode? node) => node switch
    {
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        JsonObject entry => entry["content"]?.GetValue<string>(),
        _ => null,
    };
}
