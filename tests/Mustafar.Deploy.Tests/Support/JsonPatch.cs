using YamlDotNet.RepresentationModel;

namespace Mustafar.Deploy.Tests.Support;

/// <summary>The JSON 6902 operations kustomize patches use (add, remove, replace), applied to parsed YAML. A path
/// that does not exist fails, as it does in kustomize.</summary>
internal static class JsonPatch
{
    public static void Apply(YamlMappingNode document, YamlNode operation, string where)
    {
        var op = operation.Text("op");
        var path = operation.Text("path") ?? throw new InvalidDataException($"{where}: an operation has no path");
        var segments = path.Split('/')[1..].Select(s => s.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();
        if (segments.Length == 0) throw new InvalidDataException($"{where}: '{path}' is the whole document");
        YamlNode parent = document;
        foreach (var segment in segments[..^1])
            parent = Child(parent, segment) ?? throw new InvalidDataException($"{where}: {op} {path}: '{segment}' does not exist");
        var last = segments[^1];
        switch (op)
        {
            case "add":
                Set(parent, last, Value(operation, where), insert: true, where);
                break;
            case "replace":
                if (Child(parent, last) is null) throw new InvalidDataException($"{where}: replace {path}: nothing there");
                Set(parent, last, Value(operation, where), insert: false, where);
                break;
            case "remove":
                if (Child(parent, last) is null) throw new InvalidDataException($"{where}: remove {path}: nothing there");
                if (parent is YamlMappingNode mapping) mapping.Children.Remove(new YamlScalarNode(last));
                else ((YamlSequenceNode)parent).Children.RemoveAt(int.Parse(last, System.Globalization.CultureInfo.InvariantCulture));
                break;
            default:
                throw new InvalidDataException($"{where}: operation '{op}' is not modelled here");
        }
    }

    private static YamlNode Value(YamlNode operation, string where) =>
        operation.At("value") ?? throw new InvalidDataException($"{where}: an operation has no value");

    private static YamlNode? Child(YamlNode parent, string segment) => parent switch
    {
        YamlMappingNode mapping => mapping.Get(segment),
        YamlSequenceNode sequence when int.TryParse(segment, System.Globalization.CultureInfo.InvariantCulture, out var index)
            && index >= 0 && index < sequence.Children.Count => sequence.Children[index],
        _ => null,
    };

    private static void Set(YamlNode parent, string segment, YamlNode value, bool insert, string where)
    {
        switch (parent)
        {
            case YamlMappingNode mapping:
                mapping.Children[new YamlScalarNode(segment)] = value;
                break;
            case YamlSequenceNode sequence when segment == "-" && insert:
                sequence.Children.Add(value);
                break;
            case YamlSequenceNode sequence when int.TryParse(segment, System.Globalization.CultureInfo.InvariantCulture, out var index):
                if (insert) sequence.Children.Insert(index, value);
                else sequence.Children[index] = value;
                break;
            default:
                throw new InvalidDataException($"{where}: cannot set '{segment}' in a {parent.NodeType}");
        }
    }
}
