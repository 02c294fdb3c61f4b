namespace Mustafar.Testing;

/// <summary>Locations tests need, found from the test binary's folder rather than the working directory.</summary>
public static class RepoPaths
{
    /// <summary>The repository root: the nearest folder above the test binaries holding Mustafar.Mesh.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The demo model the repository ships (deploy/demo-model): what `mesh.sh up` serves.</summary>
    public static string ShippedDemoModel => Path.Combine(Root, "deploy", "demo-model");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Mustafar.Mesh.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Mustafar.Mesh.sln above {AppContext.BaseDirectory}");
    }

    /// <summary>A fresh folder under the system temp folder, deleted by the caller (or left for inspection).</summary>
    public static string NewTempFolder(string purpose)
    {
        var path = Path.Combine(Path.GetTempPath(), "mustafar-tests", $"{purpose}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }
}
