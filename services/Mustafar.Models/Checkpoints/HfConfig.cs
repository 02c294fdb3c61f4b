using System.Text.Json.Nodes;

namespace Mustafar.Models.Checkpoints;

/// <summary>
/// A Hugging Face / diffusers <c>config.json</c>. Accessors take the default of the architecture being built, so a
/// key missing from the file means that architecture's library default and never another model's. Wrong types
/// fail with the file and key named.
/// </summary>
public sealed class HfConfig
{
    private readonly JsonObject _root;

    public string Source { get; }

    public HfConfig(JsonObject root, string source)
    {
        _root = root;
        Source = source;
    }

    public static HfConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"config '{path}' does not exist");
        var node = JsonNode.Parse(File.ReadAllText(path)) as JsonObject
            ?? throw new InvalidDataException($"{path}: not a JSON object");
        return new HfConfig(node, path);
    }

    public bool Has(string key) => _root.TryGetPropertyValue(key, out var value) && value is not null;

    /// <summary>A nested object such as LLaVA's <c>text_config</c>; an empty config when absent.</summary>
    public HfConfig Section(string key) =>
        new(_root[key] as JsonObject ?? [], $"{Source}#{key}");

    public int Int(string key, int fallback) => Has(key) ? RequireInt(key) : fallback;

    public int RequireInt(string key) => Read(key, n => n.GetValue<int>(), "an integer");

    public long Long(string key, long fallback) => Has(key) ? Read(key, n => n.GetValue<long>(), "an integer") : fallback;

    public double Double(string key, double fallback) => Has(key) ? Read(key, n => n.GetValue<double>(), "a number") : fallback;

    public bool Bool(string key, bool fallback) => Has(key) ? Read(key, n => n.GetValue<bool>(), "true or false") : fallback;

    public string? String(string key, string? fallback = null) => Has(key) ? Read(key, n => n.GetValue<string>(), "a string") : fallback;

    public string RequireString(string key) => Read(key, n => n.GetValue<string>(), "a string");

    public int[] IntArray(string key, int[] fallback) =>
        Has(key) ? Read(key, n => n.AsArray().Select(x => x!.GetValue<int>()).ToArray(), "an array of integers") : fallback;

    public double[] DoubleArray(string key, double[] fallback) =>
        Has(key) ? Read(key, n => n.AsArray().Select(x => x!.GetValue<double>()).ToArray(), "an array of numbers") : fallback;

    public string[] StringArray(string key, string[] fallback) =>
        Has(key) ? Read(key, n => n.AsArray().Select(x => x!.GetValue<string>()).ToArray(), "an array of strings") : fallback;

    /// <summary>An int that may also be given per block as an array (diffusers' attention_head_dim).</summary>
    public int[] IntOrIntArray(string key, int count, int fallback)
    {
        if (!Has(key)) return Enumerable.Repeat(fallback, count).ToArray();
        return _root[key] is JsonArray ? IntArray(key, []) : Enumerable.Repeat(RequireInt(key), count).ToArray();
    }

    public JsonNode? Raw(string key) => _root[key];

    private T Read<T>(string key, Func<JsonNode, T> read, string what)
    {
        var node = _root[key] ?? throw new InvalidDataException($"{Source}: '{key}' is required");
        try
        {
            return read(node);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{Source}: '{key}' must be {what}, not {node.ToJsonString()}", e);
        }
    }

    public override string ToString() => _root.ToJsonString();
}
