using System.Runtime.InteropServices;
using Mustafar.Models.Checkpoints;

namespace Mustafar.Models.Tests.Imaging;

/// <summary>Reads fixture tensors (inputs/outputs.safetensors) as plain arrays, checking the stored dtype.</summary>
internal static class FixtureTensors
{
    public static byte[] Uint8(string file, string name) => Raw(file, name, "U8");

    public static float[] Float32(string file, string name) => MemoryMarshal.Cast<byte, float>(Raw(file, name, "F32")).ToArray();

    public static long[] Shape(string file, string name)
    {
        using var safetensors = new SafetensorsFile(file);
        return Entry(safetensors, name).Shape;
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
