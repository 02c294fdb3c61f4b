using YamlDotNet.RepresentationModel;

namespace Mustafar.Deploy.Tests.Support;

/// <summary>Navigation over parsed YAML that names the missing path instead of throwing a bare cast or key error.</summary>
internal static class YamlNodes
{
    public static YamlNode? Get(this YamlNode node, string key) =>
        node is YamlMappingNode mapping && mapping.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    /// <summary>Follows a path of mapping keys; null when any step is missing.</summary>
    public static YamlNode? At(this YamlNode node, params string[] path)
    {
        var current = node;
        foreach (var key in path) current = current?.Get(key);
        return current;
    }

    public static string? Text(this YamlNode node, params string[] path) => (node.At(path) as YamlScalarNode)?.Value;

    public static YamlMappingNode? MappingAt(this YamlNode node, params string[] path) => node.At(path) as YamlMappingNode;

    public static IReadOnlyList<YamlNode> ItemsAt(this YamlNode node, params string[] path) =>
        node.At(path) is YamlSequenceNode sequence ? sequence.Children.ToList() : [];

    /// <summary>The scalars of a sequence (or a single scalar) at a path.</summary>
    public static IReadOnlyList<string> TextsAt(this YamlNode node, params string[] path) => node.At(path) switch
    {
        YamlSequenceNode sequence => sequence.Children.OfType<YamlScalarNode>().Select(s => s.Value ?? "").ToList(),
        YamlScalarNode scalar when scalar.Value is { } value => [value],
        _ => [],
    };

    /// <summary>The string keys of a mapping at a path, in file order.</summary>
    public static IReadOnlyList<string> KeysAt(this YamlNode node, params string[] path) =>
        node.At(path) is YamlMappingNode mapping
            ? mapping.Children.Keys.OfType<YamlScalarNode>().Select(k => k.Value ?? "").ToList()
            : [];

    /// <summary>A scalar-to-scalar mapping (labels, compose environment in map form) as a dictionary.</summary>
    public static IReadOnlyDictionary<string, string> StringMapAt(this YamlNode node, params string[] path) =>
        node.At(path) is YamlMappingNode mapping
            ? mapping.Children.Where(c => c.Key is YamlScalarNode && c.Value is YamlScalarNode)
                .ToDictionary(c => ((YamlScalarNode)c.Key).Value ?? "", c => ((YamlScalarNode)c.Value).Value ?? "", StringComparer.Ordinal)
            : new Dictionary<string, string>();
}
