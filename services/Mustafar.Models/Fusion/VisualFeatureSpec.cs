namespace Mustafar.Models.Fusion;

/// <summary>Which encoder produces a feature.</summary>
public enum VisualFeatureSource
{
    Clip,
    Diffusion,
}

/// <summary>
/// A feature tensor the model needs for every image: its name in the request ("clip", "diffusion"), the encoder
/// that makes it, and the exact shape [tokens, channels] the fusion module was trained on. Mirrors the generator
/// proto's FeatureSpec, plus the diffusion settings the checkpoint records (the proto has no fields for them yet).
/// </summary>
public sealed record VisualFeatureSpec
{
    public const string ClipName = "clip";
    public const string DiffusionName = "diffusion";

    public required string Name { get; init; }
    public required VisualFeatureSource Source { get; init; }
    /// <summary>grid_height * grid_width, plus one when the CLIP CLS token is kept.</summary>
    public required int Tokens { get; init; }
    public required int Channels { get; init; }
    public required int GridHeight { get; init; }
    public required int GridWidth { get; init; }
    /// <summary>CLIP: the hidden-state index the projector was trained on (LLaVA-1.5: -2).</summary>
    public int ClipSelectLayer { get; init; }
    /// <summary>CLIP: whether the CLS token is kept (LLaVA-1.5: no).</summary>
    public bool ClipKeepCls { get; init; }
    /// <summary>Diffusion: the U-Net tap, for example "U-L1-R1-B0-Cross-Q".</summary>
    public string? DiffusionTap { get; init; }
    /// <summary>Diffusion: the timestep the checkpoint was trained with, when its config records it.</summary>
    public int? DiffusionTimestep { get; init; }
    /// <summary>Diffusion: the feature-guidance scale the checkpoint was trained with, when recorded.</summary>
    public double? DiffusionGuidanceScale { get; init; }
    /// <summary>Diffusion: what the U-Net prompt was in training ("question", "empty", ...), when recorded.</summary>
    public string? DiffusionPrompt { get; init; }

    public override string ToString() => $"{Name} [{Tokens}, {Channels}]" + (DiffusionTap is null ? "" : $" tap {DiffusionTap}");
}
