using Mustafar.ServiceDefaults;
using Mustafar.Tensors;

namespace Mustafar.Serving;

/// <summary>Caps on what one request may ask for, checked before anything large is allocated. Section
/// <c>Mustafar:Limits</c>. Exceeding one is INVALID_ARGUMENT through <see cref="InputTooLargeException"/>.</summary>
public sealed class LimitsOptions : IValidatedOptions
{
    public const string Section = ServingOptionKeys.Root + ":Limits";

    /// <summary>Largest encoded image, in bytes.</summary>
    public int MaxImageBytes { get; set; } = 32 * 1024 * 1024;

    /// <summary>Largest image in pixels (width * height), checked from the header before the full decode.</summary>
    public long MaxImagePixels { get; set; } = 4096L * 4096;

    /// <summary>Largest tensor received, in elements.</summary>
    public long MaxTensorElements { get; set; } = TensorLimits.Default.MaxElements;

    /// <summary>Longest prompt or conversation text, in UTF-16 characters, checked before tokenization.</summary>
    public int MaxPromptChars { get; set; } = 32 * 1024;

    /// <summary>Largest max_new_tokens a generation request may ask for.</summary>
    public int MaxNewTokens { get; set; } = 1024;

    /// <summary>The tensor bounds to validate received tensors with.</summary>
    public TensorLimits ToTensorLimits() => TensorLimits.Default with { MaxElements = MaxTensorElements };

    public IEnumerable<string> Validate()
    {
        if (MaxImageBytes < 1) yield return $"{Section}:MaxImageBytes must be positive, not {MaxImageBytes}";
        if (MaxImagePixels < 1) yield return $"{Section}:MaxImagePixels must be positive, not {MaxImagePixels}";
        if (MaxTensorElements < 1) yield return $"{Section}:MaxTensorElements must be positive, not {MaxTensorElements}";
        if (MaxPromptChars < 1) yield return $"{Section}:MaxPromptChars must be positive, not {MaxPromptChars}";
        if (MaxNewTokens < 1) yield return $"{Section}:MaxNewTokens must be positive, not {MaxNewTokens}";
    }
}
