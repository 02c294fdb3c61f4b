namespace Mustafar.Eval.Readers;

/// <summary>Finds an item's image in the benchmark's image folder, and says which one is missing before a run
/// starts rather than after hours of asking.</summary>
public static class ImageFolder
{
    /// <summary>--images when given, else <paramref name="subfolder"/> of the folder the benchmark file lies in.</summary>
    public static string Of(ReaderOptions options, string file, string subfolder = "") =>
        options.Images ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, subfolder);

    public static string Resolve(string folder, string name, params string[] extensions)
    {
        var direct = Path.Combine(folder, name);
        if (File.Exists(direct)) return direct;
        foreach (var extension in extensions)
            if (File.Exists(direct + extension)) return direct + extension;
        throw new FileNotFoundException($"image '{name}' is not in {folder}" + (extensions.Length > 0 ? $" (tried {string.Join(", ", extensions)})" : ""), direct);
    }
}
