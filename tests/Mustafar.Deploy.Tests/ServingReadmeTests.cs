using System.Text.RegularExpressions;
using Mustafar.Deploy.Tests.Support;

namespace Mustafar.Deploy.Tests;

/// <summary>The C# samples in services/Mustafar.Serving/README.md are excerpts of the real hosts: every line of
/// code they show (comments and elisions aside) is in one of the hosts' files, so a renamed type or a changed call
/// fails here instead of misleading a reader.</summary>
public sealed partial class ServingReadmeTests
{
    private static readonly string[] HostFiles =
    [
        "services/Mustafar.ClipEncoder/Program.cs",
        "services/Mustafar.ClipEncoder/ClipEncoderService.cs",
        "services/Mustafar.Generator/GeneratorService.cs",
    ];

    [Fact]
    public void Every_line_of_code_the_serving_readme_shows_is_in_a_host()
    {
        var readme = File.ReadAllText(Mesh.InRepo("services/Mustafar.Serving/README.md"));
        var hosts = HostFiles.Select(f => File.ReadAllLines(Mesh.InRepo(f)).Select(Normalize).ToHashSet(StringComparer.Ordinal)).ToList();
        var shown = CSharpBlocks().Matches(readme).SelectMany(m => m.Groups[1].Value.Split('\n'))
            .Select(line => Normalize(TrailingComment().Replace(line, "")))
            .Where(line => line.Length > 0 && !line.StartsWith("//", StringComparison.Ordinal)
                && !line.Contains("...", StringComparison.Ordinal) && !line.Contains("/*", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(shown);

        var missing = shown.Where(line => !hosts.Any(host => host.Contains(line))).ToList();
        Assert.True(missing.Count == 0, "the README shows code that no host has:\n" + string.Join("\n", missing));
    }

    private static string Normalize(string line) => Whitespace().Replace(line.Trim(), " ");

    [GeneratedRegex(@"```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlocks();

    [GeneratedRegex(@"\s//\s.*$")]
    private static partial Regex TrailingComment();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
