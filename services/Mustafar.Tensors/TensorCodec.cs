using Google.Protobuf;
using Mustafar.Contracts.Tensors.V1;

namespace Mustafar.Tensors;

/// <summary>Builds <see cref="Tensor"/> messages. Payloads are wrapped, not copied: the caller must not change the
/// buffer afterwards (it is shared with the message until the message is serialized and dropped).</summary>
public static class TensorCodec
{
    /// <summary>Wraps raw element bytes as a tensor after checking that their length matches the shape.</summary>
    public static Tensor Wrap(DType dtype, ReadOnlySpan<long> shape, ReadOnlyMemory<byte> data)
    {
        if (!DTypes.IsValid(dtype)) throw new ArgumentException($"{DTypes.Name(dtype)} is not a tensor dtype", nameof(dtype));
        long count = 1;
        foreach (var dim in shape)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(dim, nameof(shape));
            count = checked(count * dim);
        }
        var expected = checked(count * DTypes.ElementSize(dtype));
        if (data.Length != expected)
            throw new ArgumentException($"{data.Length} bytes given, shape [{string.Join(", ", shape.ToArray())}] of {DTypes.Name(dtype)} needs {expected}", nameof(data));

        var tensor = new Tensor { Dtype = dtype, Data = UnsafeByteOperations.UnsafeWrap(data) };
        foreach (var dim in shape) tensor.Shape.Add(dim);
        return tensor;
    }

    /// <summary>Wraps an array of elements without copying it. <typeparamref name="T"/> decides the dtype
    /// (<see cref="ushort"/> is bfloat16).</summary>
    public static Tensor FromArray<T>(T[] values, params long[] shape) where T : unmanaged
    {
        var dtype = DTypes.Of<T>();
        if (dtype == DType.Unspecified) throw new ArgumentException($"{typeof(T).Name} has no tensor dtype");
        return Wrap(dtype, shape, new ArrayByteMemory<T>(values).Memory);
    }

    /// <summary>Encodes float32 values as <paramref name="dtype"/> (float32, float16 or bfloat16).</summary>
    public static Tensor FromFloat32(ReadOnlySpan<float> values, ReadOnlySpan<long> shape, DType dtype) =>
        Wrap(dtype, shape, FloatConversions.FromFloat32(values, dtype));

    /// <summary>Pairs a tensor with its name.</summary>
    public static NamedTensor Named(string name, Tensor tensor) => new() { Name = name, Tensor = tensor };
}
