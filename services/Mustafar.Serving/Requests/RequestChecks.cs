using Google.Protobuf;
using Mustafar.Tensors;
using Mustafar.Contracts.Tensors.V1;

namespace Mustafar.Serving;

/// <summary>
/// The checks every model service makes on request fields before queueing anything, each failing with an
/// <see cref="InvalidInputException"/> (or <see cref="InputTooLargeException"/> for a configured cap) that names
/// the request field, so callers learn exactly what to fix.
/// </summary>
public static class RequestChecks
{
    /// <summary>The encoded image's bytes, refused when they exceed <see cref="LimitsOptions.MaxImageBytes"/> (the
    /// pixel cap is checked from the header when the image is decoded).</summary>
    public static ReadOnlyMemory<byte> Image(ByteString image, LimitsOptions limits, string field = "image")
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(limits);
        if (image.Length > limits.MaxImageBytes)
            throw new InputTooLargeException(field, $"is {image.Length} bytes, more than the limit of {limits.MaxImageBytes}");
        return image.Memory;
    }

    /// <summary>Text no longer than <paramref name="maxChars"/> UTF-16 characters (checked before tokenizing).</summary>
    public static string Text(string? text, int maxChars, string field)
    {
        text ??= "";
        if (text.Length > maxChars)
            throw new InputTooLargeException(field, $"is {text.Length} characters, more than the limit of {maxChars}");
        return text;
    }

    /// <summary>The dtype to return features in: <paramref name="computeDType"/> when unspecified, else one of
    /// FLOAT32, FLOAT16, BFLOAT16.</summary>
    public static DType OutputDType(DType requested, DType computeDType, string field = "output_dtype")
    {
        if (requested == DType.Unspecified) return computeDType;
        if (!DTypes.IsFeatureDType(requested))
            throw new InvalidInputException(field, $"{DTypes.Name(requested)} is not a feature dtype; use FLOAT32, FLOAT16 or BFLOAT16 (or leave it unset for {DTypes.Name(computeDType)})");
        return requested;
    }

    /// <summary>A proto enum value this server knows (a newer client may send numbers this build has no name
    /// for).</summary>
    public static TEnum Known<TEnum>(TEnum value, string field) where TEnum : struct, Enum
    {
        if (!Enum.IsDefined(value))
            throw new InvalidInputException(field, $"{Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture)} is not a known {typeof(TEnum).Name} value");
        return value;
    }
}
