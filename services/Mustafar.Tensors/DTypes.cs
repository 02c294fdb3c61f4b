using Mustafar.Contracts.Tensors.V1;

namespace Mustafar.Tensors;

/// <summary>Facts about <see cref="DType"/> values: element sizes, names and the CLR type each maps to.</summary>
public static class DTypes
{
    /// <summary>Bytes per element, or 0 for a value that is not a valid tensor dtype.</summary>
    public static int ElementSize(DType dtype) => dtype switch
    {
        DType.Float32 or DType.Int32 => 4,
        DType.Float16 or DType.Bfloat16 => 2,
        DType.Int64 or DType.Float64 => 8,
        DType.Uint8 or DType.Bool or DType.Int8 => 1,
        _ => 0,
    };

    /// <summary>True for the values a <see cref="Tensor"/> may carry.</summary>
    public static bool IsValid(DType dtype) => ElementSize(dtype) > 0;

    /// <summary>True for the floating-point dtypes that features may be sent in.</summary>
    public static bool IsFeatureDType(DType dtype) => dtype is DType.Float32 or DType.Float16 or DType.Bfloat16;

    /// <summary>Short lowercase name, as used in configuration and messages ("float16").</summary>
    public static string Name(DType dtype) => dtype switch
    {
        DType.Float32 => "float32",
        DType.Float16 => "float16",
        DType.Bfloat16 => "bfloat16",
        DType.Int64 => "int64",
        DType.Int32 => "int32",
        DType.Uint8 => "uint8",
        DType.Bool => "bool",
        DType.Float64 => "float64",
        DType.Int8 => "int8",
        DType.Unspecified => "unspecified",
        _ => $"unknown({(int)dtype})",
    };

    /// <summary>Parses a dtype name as written in configuration: "float32"/"fp32", "float16"/"fp16"/"half",
    /// "bfloat16"/"bf16", and the integer and bool names. Case-insensitive.</summary>
    public static bool TryParse(string? text, out DType dtype)
    {
        dtype = text?.Trim().ToLowerInvariant() switch
        {
            "float32" or "fp32" or "float" => DType.Float32,
            "float16" or "fp16" or "half" => DType.Float16,
            "bfloat16" or "bf16" => DType.Bfloat16,
            "float64" or "fp64" or "double" => DType.Float64,
            "int64" or "long" => DType.Int64,
            "int32" or "int" => DType.Int32,
            "int8" => DType.Int8,
            "uint8" or "byte" => DType.Uint8,
            "bool" => DType.Bool,
            _ => DType.Unspecified,
        };
        return dtype != DType.Unspecified;
    }

    /// <summary>The dtype whose elements a CLR type <typeparamref name="T"/> reads directly, or
    /// <see cref="DType.Unspecified"/>. bfloat16 has no CLR type and reads as <see cref="ushort"/> bits.</summary>
    public static DType Of<T>() where T : unmanaged =>
        typeof(T) == typeof(float) ? DType.Float32
        : typeof(T) == typeof(Half) ? DType.Float16
        : typeof(T) == typeof(ushort) ? DType.Bfloat16
        : typeof(T) == typeof(long) ? DType.Int64
        : typeof(T) == typeof(int) ? DType.Int32
        : typeof(T) == typeof(byte) ? DType.Uint8
        : typeof(T) == typeof(bool) ? DType.Bool
        : typeof(T) == typeof(double) ? DType.Float64
        : typeof(T) == typeof(sbyte) ? DType.Int8
        : DType.Unspecified;
}
