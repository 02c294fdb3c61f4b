using System.Runtime.InteropServices;
using Mustafar.Contracts.Tensors.V1;

namespace Mustafar.Tensors;

/// <summary>
/// A validated, zero-copy view of a received <see cref="Tensor"/>: the bytes are the protobuf buffer's own
/// (<see cref="Google.Protobuf.ByteString.Memory"/>), so reading a 4 MB feature tensor allocates nothing.
/// Only <see cref="Open"/> creates one, so every view has passed validation.
/// </summary>
public readonly struct TensorView
{
    private TensorView(DType dtype, long[] shape, long elementCount, ReadOnlyMemory<byte> data)
    {
        DType = dtype;
        Shape = shape;
        ElementCount = elementCount;
        Data = data;
    }

    public DType DType { get; }

    /// <summary>Dimensions, outermost first (a copy of the message's, so later changes to it cannot invalidate the view).</summary>
    public IReadOnlyList<long> Shape { get; }

    public long ElementCount { get; }

    /// <summary>The raw little-endian, row-major element bytes.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    public int Rank => Shape.Count;

    /// <summary>Validates <paramref name="tensor"/> and returns a view of it.</summary>
    /// <param name="field">The tensor's path in the request, used in error messages ("features[1].tensor").</param>
    /// <exception cref="InvalidInputException">The tensor is malformed; the message says how.</exception>
    public static TensorView Open(Tensor? tensor, string field, TensorLimits? limits = null)
    {
        var (shape, count) = TensorValidator.Validate(tensor, field, limits ?? TensorLimits.Default);
        return new TensorView(tensor!.Dtype, shape, count, tensor.Data.Memory);
    }

    /// <summary>The elements as a typed span. <typeparamref name="T"/> must match the dtype
    /// (<see cref="ushort"/> for bfloat16 bits).</summary>
    public ReadOnlySpan<T> Span<T>() where T : unmanaged
    {
        var expected = DTypes.Of<T>();
        if (expected != DType)
            throw new InvalidOperationException($"a {DTypes.Name(DType)} tensor cannot be read as {typeof(T).Name}");
        return MemoryMarshal.Cast<byte, T>(Data.Span);
    }

    /// <summary>Size of dimension <paramref name="axis"/> (negative counts from the end).</summary>
    public long Dim(int axis) => Shape[axis < 0 ? Rank + axis : axis];

    /// <summary>Copies the elements of a floating-point tensor into a new float32 array.</summary>
    public float[] ToFloat32Array()
    {
        var result = new float[ElementCount];
        FloatConversions.ToFloat32(DType, Data.Span, result);
        return result;
    }
}
