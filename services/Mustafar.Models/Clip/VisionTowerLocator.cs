namespace Mustafar.Models.Clip;

/// <summary>
/// Finds the folder an original-LLaVA config names in <c>mm_vision_tower</c> (a hub id such as
/// "openai/clip-vit-large-patch14-336", or a path), since nothing may be downloaded. Tried in order: the value as
/// a path (absolute, or relative to the LLaVA folder); then under each search root, the LLaVA folder's parent,
/// and the Hugging Face hub cache (<c>HF_HUB_CACHE</c>, <c>HF_HOME/hub</c>, <c>~/.cache/huggingface/hub</c>):
/// <c>root/owner/name</c>, <c>root/name</c>, and the cache's <c>models--owner--name/snapshots/&lt;refs/main&gt;</c>.
/// A candidate counts when it holds a config.json.
/// </summary>
internal sealed class VisionTowerLocator(IReadOnlyList<string>? searchRoots = null)
{
    public IReadOnlyList<string> SearchRoots { get; } = searchRoots ?? [];

    public string Locate(string name, string llavaFolder)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new InvalidDataException($"{llavaFolder}: mm_vision_tower is empty");
        var tried = new List<string>();
        foreach (var candidate in Candidates(name, llavaFolder))
        {
            var full = Path.GetFullPath(candidate);
            if (tried.Contains(full)) continue;
            tried.Add(full);
            if (File.Exists(Path.Combine(full, "config.json"))) return full;
        }
        throw new DirectoryNotFoundException(
            $"vision tower '{name}' named by {Path.Combine(llavaFolder, "config.json")} was not found (nothing is downloaded); " +
            $"put the CLIP checkpoint in one of: {string.Join(", ", tried)}, or add its parent folder to the vision tower search paths");
    }

    private IEnumerable<string> Candidates(string name, string llavaFolder)
    {
        if (Path.IsPathRooted(name)) yield return name;
        yield return Path.Combine(llavaFolder, name);
        var lastSegment = name.Replace('\\', '/').TrimEnd('/').Split('/')[^1];
        var parent = Path.GetDirectoryName(Path.GetFullPath(llavaFolder));
        foreach (var root in SearchRoots.Concat(parent is null ? [] : [parent]).Concat(HubCaches()))
        {
            yield return Path.Combine(root, name);
            yield return Path.Combine(root, lastSegment);
            if (HubSnapshot(root, name) is { } snapshot) yield return snapshot;
        }
    }

    private static IEnumerable<string> HubCaches()
    {
        if (Environment.GetEnvironmentVariable("HF_HUB_CACHE") is { Length: > 0 } cache) yield return cache;
        if (Environment.GetEnvironmentVariable("HF_HOME") is { Length: > 0 } home) yield return Path.Combine(home, "hub");
        var user = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (user.Length > 0) yield return Path.Combine(user, ".cache", "huggingface", "hub");
    }

    /// <summary>The hub cache layout: models--owner--name/snapshots/{revision}, the revision from refs/main when
    /// present, else the only snapshot.</summary>
    private static string? HubSnapshot(string root, string name)
    {
        var repo = Path.Combine(root, "models--" + name.Replace("/", "--", StringComparison.Ordinal));
        var snapshots = Path.Combine(repo, "snapshots");
        if (!Directory.Exists(snapshots)) return null;
        var main = Path.Combine(repo, "refs", "main");
        if (File.Exists(main)) return Path.Combine(snapshots, File.ReadAllText(main).Trim());
        var all = Directory.GetDirectories(snapshots);
        return all.Length == 1 ? all[0] : null;
    }
}
