using System.Text.Json.Nodes;

namespace Mustafar.Models.Tokenization;

/// <summary>A token transformers' tokenizer adds beyond the SentencePiece vocabulary (llava-hf's "&lt;image&gt;" 32000,
/// "&lt;pad&gt;" 32001).</summary>
public sealed record LlamaAddedToken(int Id, string Content, bool Special);

/// <summary>
/// What <c>tokenizer_config.json</c> (and the older <c>added_tokens.json</c>) say about a Llama tokenizer, with
/// transformers 4.44's LlamaTokenizer defaults for absent keys: BOS added, EOS not, <c>legacy</c> true (4.44 warns
/// and keeps the legacy behaviour when the key is absent), <c>add_prefix_space</c> true.
/// </summary>
public sealed record LlamaTokenizerSettings
{
    public bool AddBos { get; init; } = true;
    public bool AddEos { get; init; }
    /// <summary>transformers' <c>legacy</c> flag: true tokenizes text after a special token with a fresh dummy
    /// prefix "▁"; false puts "▁" only in front of the whole text.</summary>
    public bool Legacy { get; init; } = true;
    public bool AddPrefixSpace { get; init; } = true;
    public IReadOnlyList<LlamaAddedToken> AddedTokens { get; init; } = [];

    public static LlamaTokenizerSettings Load(string folder)
    {
        var settings = new LlamaTokenizerSettings();
        var added = new Dictionary<int, LlamaAddedToken>();
        var configPath = Path.Combine(folder, "tokenizer_config.json");
        if (File.Exists(configPath))
        {
            var root = Parse(configPath);
            settings = settings with
            {
                AddBos = Bool(root, "add_bos_token", configPath) ?? settings.AddBos,
                AddEos = Bool(root, "add_eos_token", configPath) ?? settings.AddEos,
                Legacy = Bool(root, "legacy", configPath) ?? settings.Legacy,
                AddPrefixSpace = Bool(root, "add_prefix_space", configPath) ?? settings.AddPrefixSpace,
            };
            if (root["added_tokens_decoder"] is JsonObject decoder)
                foreach (var (key, value) in decoder)
                {
                    if (!int.TryParse(key, out var id) || value?["content"]?.GetValue<string>() is not { } content)
                        throw new InvalidDataException($"{configPath}: added_tokens_decoder entry '{key}' needs an integer id and a 'content'");
                    added[id] = new LlamaAddedToken(id, content, value["special"]?.GetValue<bool>() ?? false);
                }
        }
        var addedPath = Path.Combine(folder, "added_tokens.json");
        if (File.Exists(addedPath))
            foreach (var (content, value) in Parse(addedPath))
            {
                var id = value?.GetValue<int>() ?? throw new InvalidDataException($"{addedPath}: '{content}' has no id");
                // Older files list tokens such as "<image>" and "<pad>" without saying they are special; none of them
                // is meant to appear in generated text, so they are treated as special (skipped when decoding).
                added.TryAdd(id, new LlamaAddedToken(id, content, Special: true));
            }
        return settings with { AddedTokens = [.. added.Values.OrderBy(t => t.Id)] };
    }

    private static JsonObject Parse(string path) =>
        JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path}: not a JSON object");

    private static bool? Bool(JsonObject root, string key, string path)
    {
        var node = root[key];
        if (node is null) return null;
        try
        {
            return node.GetValue<bool>();
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidDataException($"{path}: '{key}' must be true, false or null", e);
        }
    }
}
