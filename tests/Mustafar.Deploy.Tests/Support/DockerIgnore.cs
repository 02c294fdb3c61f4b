using System.Text.RegularExpressions;

namespace Mustafar.Deploy.Tests.Support;

/// <summary>A .dockerignore as BuildKit applies it: each pattern (<c>*</c>, <c>?</c>, <c>**</c>) excludes the
/// paths it matches and everything below them; <c>!pattern</c> includes again; the last matching line wins.</summary>
internal sealed class DockerIgnore(IReadOnlyList<(Regex Pattern, bool Exclude)> rules)
{
    public static DockerIgnore Load(string path) => new(File.ReadAllLines(path)
        .Select(l => l.Trim())
        .Where(l => l.Length > 0 && !l.StartsWith('#'))
        .Select(l => l.StartsWith('!') ? (ToRegex(l[1..]), false) : (ToRegex(l), true))
        .ToList());

    /// <summary>Whether a path relative to the build context is left out of it.</summary>
    public bool Excludes(string path)
    {
        var excluded = false;
        var prefixes = Prefixes(path.Replace('\\', '/').Trim('/')).ToList();
        foreach (var (pattern, exclude) in rules)
            if (prefixes.Any(pattern.IsMatch)) excluded = exclude;
        return excluded;
    }

    private static IEnumerable<string> Prefixes(string path)
    {
        var parts = path.Split('/');
        for (var i = 1; i <= parts.Length; i++) yield return string.Join('/', parts[..i]);
    }

    private static Regex ToRegex(string pattern)
    {
        var text = pattern.Trim('/');
        var regex = Regex.Escape(text)
            .Replace(@"\*\*/", "(?:.*/)?", StringComparison.Ordinal)
            .Replace(@"\*\*", ".*", StringComparison.Ordinal)
            .Replace(@"\*", "[^/]*", StringComparison.Ordinal)
            .Replace(@"\?", "[^/]", StringComparison.Ordinal);
        return new Regex($"^{regex}$", RegexOptions.CultureInvariant);
    }
}
