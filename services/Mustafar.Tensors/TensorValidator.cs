using Mustafar.Contracts.Tensors.V1;

namespace Mustafar.Tensors;

/// <summary>Checks a received <see cref="Tensor"/> against its own header and the configured limits.</summary>
public static class TensorValidator
{
    /// <summary>Validates and returns the shape as an array, with the element count.</summary>
    /// <exception cref="InvalidInputException">Names the field and says exactly what is wrong.</exception>
    public static (long[] Shape, long ElementCount) Validate(Tensor? tensor, string field, TensorLimits limits)
    {
        if (tensor is null)
            throw new InvalidInputException(field, "tensor is missing");
        if (!DTypes.IsValid(tensor.Dtype))
            throw new InvalidInputException($"{field}.dtype", $"dtype {DTypes.Name(tensor.Dtype)} is not a valid tensor element type");
        if (tensor.Shape.Count > limits.MaxRank)
            throw new InvalidInputException($"{field}.shape", $"rank {tensor.Shape.Count} exceeds the maximum rank {limits.MaxRank}");

        var shape = new long[tensor.Shape.Count];
        long count = 1;
        for (var i = 0; i < shape.Length; i++)
        {
            var dim = tensor.Shape[i];
            if (dim < 0)
                throw new InvalidInputException($"{field}.shape[{i}]", $"dimension {dim} is negative");
            shape[i] = dim;
            // Checked against the cap at each step, so the running product cannot overflow before we notice.
            if (dim != 0 && count > limits.MaxElements / dim)
                throw new InputTooLargeException($"{field}.shape", $"shape [{string.Join(", ", tensor.Shape)}] has more than the maximum {limits.MaxElements} elements");
            count *= dim;
        }

        var elementSize = DTypes.ElementSize(tensor.Dtype);
        var expectedBytes = count * elementSize;
        if (tensor.Data.Length != expectedBytes)
            throw new InvalidInputException($"{field}.data",
                $"has {tensor.Data.Length} bytes but shape [{string.Join(", ", shape)}] of {DTypes.Name(tensor.Dtype)} needs {expectedBytes} ({count} x {elementSize})");

        if (tensor.Dtype == DType.Bool)
        {
            var bad = tensor.Data.Span.IndexOfAnyExcept((byte)0, (byte)1);
            if (bad >= 0)
                throw new InvalidInputException($"{field}.data", $"bool element {bad} is byte {tensor.Data.Span[bad]}, not 0 or 1");
        }
        return (shape, count);
    }

    /// <summary>Checks that a validated view has the expected dtype and shape; -1 in
    /// <paramref name="expected"/> accepts any size for that dimension.</summary>
    public static void ExpectShape(TensorView view, string field, params long[] expected)
    {
        var matches = view.Rank == expected.Length;
        for (var i = 0; matches && i < expected.Length; i++)
            matches = expected[i] < 0 || expected[i] == view.Shape[i];
        if (!matches)
            throw new InvalidInputException($"{field}.shape",
                $"shape is [{string.Join(", ", view.Shape)}], expected [{string.Join(", ", expected.Select(d => d < 0 ? "*" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]");
    }
}
