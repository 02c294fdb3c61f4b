using System.Text.RegularExpressions;
using Mustafar.Testing;

namespace Mustafar.Deploy.Tests.Support;

/// <summary>A C# block of a Markdown page: where it is, the snippet it says it shows (the
/// <c>&lt;!-- snippet: name --&gt;</c> line above its fence; null when there is none) and its lines.</summary>
internal sealed record CodeBlock(string Document, int Line, string? Snippet, IReadOnlyList<string> Lines)
{
    public string Where => $"{Document}:{Line}";
}

/// <summary>A <c>#region readme-name</c> ... <c>#endregion</c> of a compiled C# file, its lines without their common
/// indentation.</summary>
internal sealed record SnippetRegion(string Name, string File, IReadOnlyList<string> Lines);

/// <summary>
/// README code samples as snippets of compiled code: the sample lives in a C# file of the solution between
/// <c>#region readme-name</c> and <c>#endregion</c>, so the build compiles it, and the page shows the same text in a
/// fenced C# block under a <c>&lt;!-- snippet: readme-name --&gt;</c> line.
/// </summary>
internal static partial class ReadmeSnippets
{
    private static readonly string[] SkippedFolders = ["bin", "obj", "node_modules"];

    /// <summary>Every Markdown page in the repository, relative to its root.</summary>
    public static IEnumerable<string> Documents() => RepositoryFiles("*.md");

    /// <summary>The C# blocks (<c>```csharp</c>, <c>```cs</c>, <c>```c#</c>) of one page.</summary>
    public static IEnumerable<CodeBlock> CSharpBlocks(string document)
    {
        var lines = File.ReadAllLines(Mesh.InRepo(document));
        for (var i = 0; i < lines.Length; i++)
        {
            if (!CSharpFence().IsMatch(lines[i])) continue;
            var start = i;
            var body = new List<string>();
            for (i++; i < lines.Length && lines[i].Trim() != "```"; i++) body.Add(lines[i]);
            var above = lines.Take(start).LastOrDefault(l => l.Trim().Length > 0);
            var snippet = above is null ? null : SnippetMarker().Match(above) is { Success: true } m ? m.Groups["name"].Value : null;
            yield return new CodeBlock(document, start + 1, snippet, Normalize(body));
        }
    }

    /// <summary>Every <c>#region readme-*</c> in the repository's C# files.</summary>
    public static IEnumerable<SnippetRegion> Regions()
    {
        foreach (var file in RepositoryFiles("*.cs"))
        {
            var lines = File.ReadAllLines(Mesh.InRepo(file));
            for (var i = 0; i < lines.Length; i++)
            {
                if (RegionStart().Match(lines[i]) is not { Success: true } start) continue;
                var body = new List<string>();
                for (i++; i < lines.Length && !RegionEnd().IsMatch(lines[i]); i++) body.Add(lines[i]);
                yield return new SnippetRegion(start.Groups["name"].Value, file, Normalize(body));
            }
        }
    }

    /// <summary>Without trailing whitespace, leading and trailing blank lines, or the indentation every line shares.</summary>
    private static List<string> Normalize(IEnumerable<string> lines)
    {
        var trimmed = lines.Select(l => l.TrimEnd()).SkipWhile(l => l.Length == 0).Reverse().SkipWhile(l => l.Length == 0).Reverse().ToList();
        var indent = trimmed.Where(l => l.Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        return trimmed.Select(l => l.Length == 0 ? l : l[indent..]).ToList();
    }

    private static IEnumerable<string> RepositoryFiles(string pattern)
    {
        var pending = new Stack<string>([RepoPaths.Root]);
        while (pending.TryPop(out var folder))
        {
            foreach (var file in Directory.EnumerateFiles(folder, pattern).Order(StringComparer.Ordinal))
                yield return Path.GetRelativePath(RepoPaths.Root, file).Replace('\\', '/');
            foreach (var child in Directory.EnumerateDirectories(folder))
            {
                var name = Path.GetFileName(child);
                if (!name.StartsWith('.') && !SkippedFolders.Contains(name, StringComparer.Ordinal)) pending.Push(child);
            }
        }
    }

    [GeneratedRegex(@"^\s*```\s*(csharp|cs|c#)\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex CSharpFence();

    [GeneratedRegex(@"^\s*<!--\s*snippet:\s*(?<name>\S+)\s*-->\s*$")]
    private static partial Regex SnippetMarker();

    [GeneratedRegex(@"^\s*#region\s+(?<name>readme-\S+)\s*$")]
    private static partial Regex RegionStart();

    [GeneratedRegex(@"^\s*#endregion\b")]
    private static partial Regex RegionEnd();
}
