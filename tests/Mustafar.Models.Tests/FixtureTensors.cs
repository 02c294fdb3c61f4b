using System.Runtime.InteropServices;
using Mustafar.Models.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Mustafar.Models.Tests;

/// <summary>Reads a fixture's safetensors files (inputs, outputs) and compares tensors with a reported residual.
/// An instance reads one file lazily, tensor by tensor, into the caller's dispose scope; the static members read
/// whole files, or single tensors as plain arrays with their stored dtype checked.</summary>
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
            return _cache[name] = file.Read(Entry(file, name));
        }
    }

    /// <summary>Every tensor of <c>{folder}/{file}</c>, in the caller's dispose scope.</summary>
    public static Dictionary<string, Tensor> Read(string folder, string file)
    {
        using var safetensors = new SafetensorsFile(Path.Combine(folder, file));
        return safetensors.Entries.Values.ToDictionary(e => e.Name, safetensors.Read, StringComparer.Ordinal);
    }

    public static byte[] Uint8(string file, string name) => Raw(file, name, "U8");

    public static float[] Float32(string file, string name) => MemoryMarshal.Cast<byte, float>(Raw(file, name, "F32")).ToArray();

    public static long[] Shape(string file, string name)
    {
        using var safetensors = new SafetensorsFile(file);
        return Entry(safetensors, name).Shape;
    }

    /// <summary>Largest absolute difference, computed in float64 on the CPU.</summary>
    public static double MaxAbsDiff(Tensor expected, Tensor actual)
    {
        using var scope = NewDisposeScope();
        Assert.Equal(expected.shape, actual.shape);
        return (expected.to(float64, CPU) - actual.to(float64, CPU)).abs().max().item<double>();
    }

    /// <summary>Asserts |expected - actual| &lt;= tolerance everywhere and returns the largest difference.</summary>
    public static double AssertClose(Tensor expected, Tensor actual, double tolerance, string what)
    {
        var diff = MaxAbsDiff(expected, actual);
        Assert.True(diff <= tolerance, $"{what}: max |diff| {diff:E3} > {tolerance:E1}");
        return diff;
    }

    private static byte[] Raw(string file, string name, string dtype)
    {
        using var safetensors = new SafetensorsFile(file);
        var entry = Entry(safetensors, name);
        Assert.True(entry.DType == dtype, $"{file}: '{name}' is {entry.DType}, expected {dtype}");
        return safetensors.Bytes(entry).ToArray();
    }

    private static SafetensorsEntry Entry(SafetensorsFile file, string name) =>
        file.Entries.TryGetValue(name, out var entry)
            ? entry
            : throw new KeyNotFoundException($"{file.Path} has no tensor '{name}' (it has {string.Join(", ", file.Entries.Keys)})");
}
