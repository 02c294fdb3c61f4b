using Mustafar.Deploy.Tests.Support;

namespace Mustafar.Deploy.Tests;

/// <summary>A C# sample in a Markdown page is a snippet of compiled code (see <see cref="ReadmeSnippets"/>): the build
/// compiles its <c>#region readme-name</c>, and here the page must show that region's text exactly. A renamed type
/// or a changed call then fails the build or this test instead of misleading a reader, and a C# block that is not a
/// snippet fails here too.</summary>
public sealed class ReadmeSnippetTests
{
    private static readonly IReadOnlyList<CodeBlock> Blocks = ReadmeSnippets.Documents().SelectMany(ReadmeSnippets.CSharpBlocks).ToList();
    private static readonly IReadOnlyList<SnippetRegion> Regions = ReadmeSnippets.Regions().ToList();

    [Fact]
    public void Every_csharp_block_shows_its_region_of_compiled_code()
    {
        Assert.NotEmpty(Blocks);
        var problems = new List<string>();
        foreach (var block in Blocks)
        {
            if (block.Snippet is null)
            {
                problems.Add($"{block.Where}: a C# block without a <!-- snippet: readme-name --> line above it; put the code in a #region readme-name of a compiled file");
                continue;
            }
            var regions = Regions.Where(r => r.Name == block.Snippet).ToList();
            if (regions.Count != 1)
                problems.Add($"{block.Where}: snippet {block.Snippet} is in {regions.Count} #region blocks ({string.Join(", ", regions.Select(r => r.File))}), not one");
            else if (!block.Lines.SequenceEqual(regions[0].Lines, StringComparer.Ordinal))
                problems.Add($"{block.Where}: snippet {block.Snippet} differs from its region in {regions[0].File}, which reads:\n{string.Join("\n", regions[0].Lines)}");
        }
        Assert.True(problems.Count == 0, string.Join("\n\n", problems));
    }

    [Fact]
    public void Every_readme_region_is_shown_on_a_page()
    {
        Assert.NotEmpty(Regions);
        var shown = Blocks.Select(b => b.Snippet).ToHashSet(StringComparer.Ordinal);
        var unused = Regions.Where(r => !shown.Contains(r.Name)).Select(r => $"{r.File}: #region {r.Name}").ToList();
        Assert.True(unused.Count == 0, "regions no page shows (remove the markers or show them):\n" + string.Join("\n", unused));
    }
}
