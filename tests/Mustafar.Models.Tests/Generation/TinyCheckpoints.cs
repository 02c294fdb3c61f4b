using Mustafar.CheckpointWriters;
using Mustafar.Models.Generation;
using Mustafar.Testing;

namespace Mustafar.Models.Tests.Generation;

/// <summary>Tiny checkpoints written once per test class (xunit class fixture) and deleted afterwards.</summary>
public sealed class TinyCheckpoints : IDisposable
{
    private readonly string _root = RepoPaths.NewTempFolder("tiny-llava");
    private readonly Dictionary<string, string> _written = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>The folder of <paramref name="name"/>, written with <paramref name="options"/> on first use.</summary>
    public string Get(string name, TinyLlavaOptions options)
    {
        lock (_lock)
        {
            if (_written.TryGetValue(name, out var folder)) return folder;
            folder = Path.Combine(_root, name);
            TinyLlavaCheckpoint.Write(folder, options);
            return _written[name] = folder;
        }
    }

    /// <summary>A named preset (<see cref="TinyLlavaOptions.PresetNames"/>).</summary>
    public string Preset(string preset) => Get(preset, TinyLlavaOptions.Preset(preset));

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
