namespace Mustafar.Testing;

/// <summary>Tiny checkpoint folders under one temporary root, each written once, on first use, by the writer the
/// caller names (tools/Mustafar.CheckpointWriters), and all deleted on <see cref="Dispose"/>. The writer is passed
/// in, so that this library needs no TorchSharp.</summary>
public sealed class TinyCheckpoints : IDisposable
{
    private readonly string _root = RepoPaths.NewTempFolder("tiny-checkpoints");
    private readonly Dictionary<string, string> _written = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>The folder of <paramref name="name"/>, written by <paramref name="write"/> on first use (later
    /// calls with the same name return the folder and write nothing).</summary>
    public string Get(string name, Action<string> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        lock (_lock)
        {
            if (_written.TryGetValue(name, out var folder)) return folder;
            folder = Path.Combine(_root, name);
            write(folder);
            return _written[name] = folder;
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}
