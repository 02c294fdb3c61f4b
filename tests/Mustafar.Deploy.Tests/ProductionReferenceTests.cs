using System.Xml.Linq;
using Mustafar.Testing;

namespace Mustafar.Deploy.Tests;

/// <summary>What ships in an image is production code only: the projects under services/ and gateway/ reference
/// no test or tool project (the tiny checkpoint writers live in tools/Mustafar.CheckpointWriters, the memory probe
/// in tests/Mustafar.Testing), so neither reaches a model image.</summary>
public sealed class ProductionReferenceTests
{
    private static readonly string[] ProductionFolders = ["services", "gateway", "protos"];

    [Fact]
    public void Production_projects_reference_neither_tests_nor_tools()
    {
        var production = ProductionFolders
            .SelectMany(folder => Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, folder), "*.csproj", SearchOption.AllDirectories))
            .ToList();
        Assert.NotEmpty(production);

        var offending = production
            .SelectMany(project => XDocument.Load(project).Descendants("ProjectReference")
                .Select(reference => (Project: project, Target: Path.GetFullPath(Path.Combine(Path.GetDirectoryName(project)!,
                    reference.Attribute("Include")!.Value.Replace('\\', '/'))))))
            .Where(r => !ProductionFolders.Any(folder =>
                r.Target.StartsWith(Path.Combine(RepoPaths.Root, folder) + Path.DirectorySeparatorChar, StringComparison.Ordinal)))
            .Select(r => $"{Path.GetRelativePath(RepoPaths.Root, r.Project)} -> {Path.GetRelativePath(RepoPaths.Root, r.Target)}")
            .ToList();
        Assert.True(offending.Count == 0, "production projects reference non-production projects:\n" + string.Join("\n", offending));
    }
}
