using System.Runtime.InteropServices;
using Mustafar.Contracts.Tensors.V1;

namespace Mustafar.Tensors;

/// <summary>Element conversions between float32 and the 16-bit feature dtypes, on raw little-endian bytes.</summary>
internal static class FloatConversions
{
    /// <summary>Decodes <paramref name="source"/> (float32, float16 or bfloat16 bytes) into <paramref name="destination"/>.</summary>
    public static void ToFloat32(DType dtype, ReadOnlySpan<byte> source, Span<float> destination)
    {
        switch (dtype)
        {
            case DType.Float32:
                MemoryMarshal.Cast<byte, float>(source).CopyTo(destination);
                break;
            case DType.Float16:
                var halves = MemoryMarshal.Cast<byte, Half>(source);
                for (var i = 0; i < halves.Length; i++) destination[i] = (float)halves[i];
                break;
            case DType.Bfloat16:
                var bits = MemoryMarshal.Cast<byte, ushort>(source);
                for (var i = 0; i < bits.Length; i++) destination[i] = BFloat16ToSingle(bits[i]);
                break;
            default:
                throw new InvalidOperationException($"{DTypes.Name(dtype)} is not a floating-point feature dtype");
        }
    }

    /// <summary>Encodes float32 values as <paramref name="dtype"/> bytes in a new array.</summary>
    public static byte[] FromFloat32(ReadOnlySpan<float> values, DType dtype)
    {
        var bytes = new byte[values.Length * DTypes.ElementSize(dtype)];
        switch (dtype)
        {
            case DType.Float32:
                MemoryMarshal.AsBytes(values).CopyTo(bytes);
                break;
            case DType.Float16:
                var halves = MemoryMarshal.Cast<byte, Half>(bytes.AsSpan());
                for (var i = 0; i < values.Length; i++) halves[i] = (Half)values[i];
                break;
            case DType.Bfloat16:
                var bits = MemoryMarshal.Cast<byte, ushort>(bytes.AsSpan());
                for (var i = 0; i < values.Length; i++) bits[i] = SingleToBFloat16(values[i]);
                break;
            default:
                throw new InvalidOperationException($"{DTypes.Name(dtype)} is not a floating-point feature dtype");
        }
        return bytes;
    }

    /// <summary>bfloat16 is the high half of a float32, so widening is a shift.</summary>
    public static float BFloat16ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>Narrows with round-to-nearest-even, as PyTorch does; NaN stays a (quiet) NaN.</summary>
    public static ushort SingleToBFloat16(float value)
    {
        var bits = (uint)BitConverter.SingleToInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x40);
        var roundingBias = 0x7FFFu + ((bits >> 16) & 1);
        return (ushort)((bits + roundingBias) >> 16);
    }
}
