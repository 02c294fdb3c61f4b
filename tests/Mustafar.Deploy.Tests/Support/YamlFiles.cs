using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Mustafar.Deploy.Tests.Support;

/// <summary>Reads YAML the way docker compose and kubectl do: every document of a file, anchors and merge keys
/// (<c>&lt;&lt;: *anchor</c>) resolved. A duplicate key is an error, as it is for both tools.</summary>
internal static class YamlFiles
{
    public static IReadOnlyList<YamlNode> Load(string path) => Parse(File.ReadAllText(path), path);

    public static IReadOnlyList<YamlNode> Parse(string text, string source)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new MergingParser(new Parser(new StringReader(text))));
        }
        catch (YamlException error)
        {
            throw new InvalidDataException($"{source}: {error.Message} (line {error.Start.Line})", error);
        }
        catch (ArgumentException error) // YamlDotNet reports a duplicate mapping key this way
        {
            throw new InvalidDataException($"{source}: {error.Message}", error);
        }
        return stream.Documents.Select(d => d.RootNode).Where(n => !IsEmpty(n)).ToList();
    }

    /// <summary>The single document of a file.</summary>
    public static YamlMappingNode LoadMapping(string path) => Single(Load(path), path);

    public static YamlMappingNode ParseMapping(string text, string source) => Single(Parse(text, source), source);

    private static YamlMappingNode Single(IReadOnlyList<YamlNode> documents, string source) =>
        documents is [YamlMappingNode mapping] ? mapping
            : throw new InvalidDataException($"{source}: expected one mapping document, found {documents.Count} document(s)");

    private static bool IsEmpty(YamlNode node) => node is YamlScalarNode { Value: null or "" } && node.Tag.IsEmpty;
}
