namespace Mustafar.Models.Fusion;

/// <summary>How visual features become LLM input embeddings. A checkpoint is trained for exactly one mode; its config
/// names it (see docs/fusion-checkpoints.md).</summary>
public enum FusionKind
{
    /// <summary>LLaVA-1.5: CLIP tokens through the mlp2x_gelu projector.</summary>
    ClipOnly,
    /// <summary>CLIP tokens and diffusion tokens, each through its own projector, concatenated along the sequence
    /// (CLIP first).</summary>
    ConcatTokens,
    /// <summary>The diffusion grid resized to the CLIP grid, channels concatenated per token (CLIP first), one projector.</summary>
    ConcatChannels,
    /// <summary>CLIP tokens attend to diffusion tokens (pre-norm cross-attention with a residual), then the projector.</summary>
    CrossAttention,
}

/// <summary>The names fusion modes have in checkpoint configs.</summary>
public static class FusionKinds
{
    public static string ConfigName(this FusionKind mode) => mode switch
    {
        FusionKind.ClipOnly => "clip-only",
        FusionKind.ConcatTokens => "concat-tokens",
        FusionKind.ConcatChannels => "concat-channels",
        FusionKind.CrossAttention => "cross-attention",
        _ => throw new ArgumentOutOfRangeException(nameof(mode)),
    };

    public static bool TryParse(string name, out FusionKind mode)
    {
        foreach (var candidate in Enum.GetValues<FusionKind>())
            if (candidate.ConfigName() == name)
            {
                mode = candidate;
                return true;
            }
        mode = default;
        return false;
    }

    public static FusionKind Parse(string name, string source)
    {
        if (TryParse(name, out var mode)) return mode;
        throw new InvalidDataException(
            $"{source}: fusion mode '{name}' is not one of {string.Join(", ", Enum.GetValues<FusionKind>().Select(m => m.ConfigName()))}");
    }

    /// <summary>Whether the mode needs diffusion features.</summary>
    public static bool UsesDiffusion(this FusionKind mode) => mode != FusionKind.ClipOnly;
}
