using System.Text.RegularExpressions;
using Mustafar.Deploy.Tests.Support;

namespace Mustafar.Deploy.Tests;

/// <summary>docs/architecture.md is a map, so every place it points to must exist: each relative link, and each
/// repository path it spells out in code (<c>deploy/topology.json</c>). A file moved without updating the map fails here.
/// The README and CONTRIBUTING.md link to it.</summary>
public sealed partial class ArchitectureDocTests
{
    private const string Document = "docs/architecture.md";
    private static readonly string[] TopFolders = ["services", "gateway", "protos", "tools", "tests", "deploy", "docs"];

    public static TheoryData<string> Places()
    {
        var text = File.ReadAllText(Mesh.InRepo(Document));
        var places = new SortedSet<string>(StringComparer.Ordinal);
        foreach (Match link in Link().Matches(text))
        {
            var target = link.Groups["target"].Value;
            if (target.Contains("://", StringComparison.Ordinal)) continue;
            places.Add(Path.GetRelativePath(Mesh.InRepo(""), Path.GetFullPath(Path.Combine(Mesh.InRepo("docs"), target))).Replace('\\', '/'));
        }
        foreach (Match code in Code().Matches(text))
        {
            var path = code.Groups["path"].Value;
            if (TopFolders.Any(folder => path.StartsWith(folder + "/", StringComparison.Ordinal)) && !path.Contains('*') && !path.Contains('…'))
                places.Add(path.TrimEnd('/'));
        }
        return new TheoryData<string>(places);
    }

    [Theory]
    [MemberData(nameof(Places))]
    public void Every_place_the_map_names_exists(string place) =>
        Assert.True(File.Exists(Mesh.InRepo(place)) || Directory.Exists(Mesh.InRepo(place)), $"{Document} names {place}, which does not exist");

    [Theory]
    [InlineData("README.md")]
    [InlineData("CONTRIBUTING.md")]
    public void The_front_pages_link_to_it(string page) =>
        Assert.Contains($"]({Document})", File.ReadAllText(Mesh.InRepo(page)), StringComparison.Ordinal);

    [GeneratedRegex(@"\]\((?<target>[^)#\s]+)(#[^)]*)?\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"`(?<path>[A-Za-z0-9_.\-/*…]+)`")]
    private static partial Regex Code();
}
