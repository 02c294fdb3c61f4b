using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Mustafar.Deploy.Tests.Support;

/// <summary>
/// yamllint's basic rules, for machines without yamllint (CI): the file parses (no duplicate keys), no tabs, no
/// trailing spaces, LF line endings and a final newline, lines within the limit of the repository's .yamllint.yml,
/// and no plain YAML 1.1 booleans other than true/false (Kubernetes reads <c>yes</c>, <c>on</c>, <c>no</c> as
/// booleans, compose as strings).
/// </summary>
internal static class YamlLint
{
    private static readonly HashSet<string> Truthy = new(StringComparer.Ordinal)
    {
        "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N",
        "True", "TRUE", "False", "FALSE",
    };

    /// <summary>The line-length limit of .yamllint.yml at the repository root.</summary>
    public static int MaxLineLength { get; } =
        int.Parse(YamlFiles.LoadMapping(Mesh.InRepo(".yamllint.yml")).Text("rules", "line-length", "max") ?? "80", System.Globalization.CultureInfo.InvariantCulture);

    public static IReadOnlyList<string> Problems(string text, string source)
    {
        var problems = new List<string>();
        try
        {
            foreach (var document in YamlFiles.Parse(text, source))
                foreach (var scalar in document.AllNodes.OfType<YamlScalarNode>())
                    if (scalar.Style == ScalarStyle.Plain && scalar.Value is { } value && Truthy.Contains(value))
                        problems.Add($"{source}:{scalar.Start.Line}: plain '{value}' is a boolean in YAML 1.1; write true/false or quote it");
        }
        catch (InvalidDataException error)
        {
            problems.Add(error.Message);
        }
        if (text.Contains('\r', StringComparison.Ordinal)) problems.Add($"{source}: CR line endings");
        if (text.Length > 0 && !text.EndsWith('\n')) problems.Add($"{source}: no newline at the end");
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.Contains('\t', StringComparison.Ordinal)) problems.Add($"{source}:{i + 1}: tab character");
            if (line.Length > 0 && char.IsWhiteSpace(line[^1])) problems.Add($"{source}:{i + 1}: trailing spaces");
            if (line.Length > MaxLineLength) problems.Add($"{source}:{i + 1}: {line.Length} characters, more than {MaxLineLength}");
        }
        return problems;
    }
}
