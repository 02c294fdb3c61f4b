using Mustafar.Models.Checkpoints;
using static TorchSharp.torch;

namespace Mustafar.Models.Tests.Llama;

/// <summary>Reads a fixture's safetensors file (inputs or outputs) into tensors owned by the caller's scope.</summary>
internal sealed class FixtureTensors(string path)
{
    private readonly Dictionary<string, Tensor> _cache = new(StringComparer.Ordinal);

    public IEnumerable<string> Names
    {
        get
        {
            using var file = new SafetensorsFile(path);
            return file.Entries.Keys.ToList();
        }
    }

    public Tensor this[string name]
    {
        get
        {
            if (_cache.TryGetValue(name, out var cached)) return cached;
            using var file = new SafetensorsFile(path);
            if (!file.Entries.TryGetValue(name, out var entry))
                throw new KeyNotFoundException($"{path} has no tensor '{name}' (has {string.Join(", ", file.Entries.Keys)})");
            return _cache[name] = file.Read(entry);
        }
    }

    /// <summary>Largest absolute difference, as a double.</summary>
    public static double MaxAbsDiff(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        Assert.Equal(a.shape, b.shape);
        return (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs().max().item<double>();
    }
}
