using Mustafar.Tensors;
using Mustafar.Contracts.Tensors.V1;
using TorchSharp;

namespace Mustafar.Torch;

/// <summary>Maps wire dtypes to TorchSharp scalar types and back.</summary>
public static class TorchDTypes
{
    public static torch.ScalarType ToScalarType(DType dtype) => dtype switch
    {
        DType.Float32 => torch.ScalarType.Float32,
        DType.Float16 => torch.ScalarType.Float16,
        DType.Bfloat16 => torch.ScalarType.BFloat16,
        DType.Float64 => torch.ScalarType.Float64,
        DType.Int64 => torch.ScalarType.Int64,
        DType.Int32 => torch.ScalarType.Int32,
        DType.Int8 => torch.ScalarType.Int8,
        DType.Uint8 => torch.ScalarType.Byte,
        DType.Bool => torch.ScalarType.Bool,
        _ => throw new ArgumentException($"{DTypes.Name(dtype)} has no torch scalar type", nameof(dtype)),
    };

    public static DType ToDType(torch.ScalarType type) => type switch
    {
        torch.ScalarType.Float32 => DType.Float32,
        torch.ScalarType.Float16 => DType.Float16,
        torch.ScalarType.BFloat16 => DType.Bfloat16,
        torch.ScalarType.Float64 => DType.Float64,
        torch.ScalarType.Int64 => DType.Int64,
        torch.ScalarType.Int32 => DType.Int32,
        torch.ScalarType.Int8 => DType.Int8,
        torch.ScalarType.Byte => DType.Uint8,
        torch.ScalarType.Bool => DType.Bool,
        _ => throw new ArgumentException($"torch {type} has no wire dtype", nameof(type)),
    };

    /// <summary>Parses a configured compute dtype ("float32", "fp16", "bf16", ...); only floating-point types
    /// make sense for model weights.</summary>
    public static torch.ScalarType ParseComputeDType(string? text)
    {
        if (!DTypes.TryParse(text, out var dtype) || !DTypes.IsFeatureDType(dtype))
            throw new ArgumentException($"dtype '{text}' is not one of float32, float16, bfloat16");
        return ToScalarType(dtype);
    }
}
