using System.Text.Json;

namespace Mustafar.CheckpointWriters;

/// <summary>Writes a set of checkpoint folders once: a stamp file (what was written: format version, seed,
/// settings) is compared with the wanted one, and only a difference or a missing folder rewrites them.</summary>
internal static class CheckpointStamp
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Runs <paramref name="write"/> unless <paramref name="root"/> holds <paramref name="stampFile"/> equal
    /// to <paramref name="wanted"/> and every folder exists; returns whether the folders were reused.</summary>
    public static bool Ensure<TStamp>(string root, string stampFile, TStamp wanted, IReadOnlyList<string> folders, Action write)
        where TStamp : IEquatable<TStamp>
    {
        var stampPath = Path.Combine(root, stampFile);
        if (File.Exists(stampPath) && wanted.Equals(JsonSerializer.Deserialize<TStamp>(File.ReadAllText(stampPath)))
            && folders.All(Directory.Exists))
            return true;

        foreach (var folder in folders)
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        Directory.CreateDirectory(root);
        File.Delete(stampPath);
        write();
        // The stamp goes last: a run interrupted while writing leaves no stamp and is redone.
        File.WriteAllText(stampPath, JsonSerializer.Serialize(wanted, Indented));
        return false;
    }
}
