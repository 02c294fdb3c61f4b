using Mustafar.Models.Checkpoints;
using TorchSharp;

namespace Mustafar.Models.Fusion;

/// <summary>
/// The fusion module a checkpoint was trained with: its mode, the features it takes and the settings and weight
/// names of its extra modules. Plain LLaVA checkpoints are <see cref="FusionKind.ClipOnly"/>; Mustafar checkpoints
/// add a <c>mustafar_fusion</c> object to config.json (format documented in docs/fusion-checkpoints.md).
/// </summary>
public sealed record FusionConfig
{
    /// <summary>The config.json key of the extension.</summary>
    public const string ConfigKey = "mustafar_fusion";
    public const int FormatVersion = 1;
    public const string DefaultDiffusionProjectorPrefix = "mustafar_fusion.diffusion_projector.";
    public const string DefaultCrossAttentionPrefix = "mustafar_fusion.cross_attention.";

    public required FusionKind Mode { get; init; }
    public required VisualFeatureSpec Clip { get; init; }
    public VisualFeatureSpec? Diffusion { get; init; }
    public required int TextHiddenSize { get; init; }
    /// <summary>The projectors' activation (llava-hf <c>projector_hidden_act</c>, LLaVA-1.5: exact GELU).</summary>
    public string ProjectorActivation { get; init; } = "gelu";
    public bool ProjectorBias { get; init; } = true;
    /// <summary>concat-channels: how the diffusion grid is resized to the CLIP grid (align_corners false).</summary>
    public torch.InterpolationMode Resize { get; init; } = torch.InterpolationMode.Bilinear;
    /// <summary>cross-attention: heads and LayerNorm epsilon.</summary>
    public int CrossAttentionHeads { get; init; }
    public double CrossAttentionLayerNormEps { get; init; } = 1e-5;
    /// <summary>Checkpoint key prefixes of the extra modules.</summary>
    public string DiffusionProjectorPrefix { get; init; } = DefaultDiffusionProjectorPrefix;
    public string CrossAttentionPrefix { get; init; } = DefaultCrossAttentionPrefix;

    /// <summary>Visual tokens one image adds to the prompt.</summary>
    public int ImageTokens => Mode == FusionKind.ConcatTokens ? Clip.Tokens + Diffusion!.Tokens : Clip.Tokens;

    /// <summary>Input width of <c>multi_modal_projector</c>.</summary>
    public int ProjectorInputChannels => Mode == FusionKind.ConcatChannels ? Clip.Channels + Diffusion!.Channels : Clip.Channels;

    /// <summary>The features a request with an image must carry, CLIP first.</summary>
    public IReadOnlyList<VisualFeatureSpec> ExpectedFeatures => Diffusion is null ? [Clip] : [Clip, Diffusion];

    /// <summary>Reads the mode and extension settings from config.json. <paramref name="clip"/> and the projector
    /// settings come from the checkpoint's standard LLaVA keys (they differ between layouts).</summary>
    public static FusionConfig Parse(HfConfig config, VisualFeatureSpec clip, int textHidden, string projectorActivation, bool projectorBias)
    {
        var baseline = new FusionConfig
        {
            Mode = FusionKind.ClipOnly,
            Clip = clip,
            TextHiddenSize = textHidden,
            ProjectorActivation = projectorActivation,
            ProjectorBias = projectorBias,
        };
        if (!config.Has(ConfigKey)) return baseline;

        var fusion = config.Section(ConfigKey);
        var version = fusion.Int("format_version", FormatVersion);
        if (version != FormatVersion)
            throw new InvalidDataException($"{fusion.Source}: format_version {version} is not supported (this build reads {FormatVersion})");
        var mode = FusionKinds.Parse(fusion.RequireString("mode"), fusion.Source);
        if (mode == FusionKind.ClipOnly) return baseline;

        var diffusion = ParseDiffusion(fusion.Section("diffusion"));
        var weights = fusion.Section("weights");
        var result = baseline with
        {
            Mode = mode,
            Diffusion = diffusion,
            DiffusionProjectorPrefix = weights.String("diffusion_projector", DefaultDiffusionProjectorPrefix)!,
            CrossAttentionPrefix = weights.String("cross_attention", DefaultCrossAttentionPrefix)!,
        };
        switch (mode)
        {
            case FusionKind.ConcatChannels:
                if (clip.ClipKeepCls)
                    throw new InvalidDataException($"{fusion.Source}: concat-channels needs CLIP patch tokens only (the CLS token has no grid cell)");
                return result with { Resize = ParseResize(fusion.Section("concat_channels")) };
            case FusionKind.CrossAttention:
                var attention = fusion.Section("cross_attention");
                return result with
                {
                    CrossAttentionHeads = attention.RequireInt("num_attention_heads"),
                    CrossAttentionLayerNormEps = attention.Double("layer_norm_eps", result.CrossAttentionLayerNormEps),
                };
            default:
                return result;
        }
    }

    private static VisualFeatureSpec ParseDiffusion(HfConfig diffusion)
    {
        var grid = diffusion.IntArray("grid", []);
        var channels = diffusion.RequireInt("channels");
        if (grid.Length != 2 || grid.Any(g => g <= 0) || channels <= 0)
            throw new InvalidDataException($"{diffusion.Source}: needs 'grid' [height, width] and 'channels', all positive");
        return new VisualFeatureSpec
        {
            Name = VisualFeatureSpec.DiffusionName,
            Source = VisualFeatureSource.Diffusion,
            Tokens = grid[0] * grid[1],
            Channels = channels,
            GridHeight = grid[0],
            GridWidth = grid[1],
            DiffusionTap = diffusion.RequireString("tap"),
            DiffusionTimestep = diffusion.Has("timestep") ? diffusion.RequireInt("timestep") : null,
            DiffusionGuidanceScale = diffusion.Has("guidance_scale") ? diffusion.Double("guidance_scale", 0) : null,
            DiffusionPrompt = diffusion.String("prompt"),
        };
    }

    private static torch.InterpolationMode ParseResize(HfConfig section) => section.String("resize", "bilinear") switch
    {
        "bilinear" => torch.InterpolationMode.Bilinear,
        "bicubic" => torch.InterpolationMode.Bicubic,
        "nearest" => torch.InterpolationMode.Nearest,
        "area" => torch.InterpolationMode.Area,
        var other => throw new InvalidDataException($"{section.Source}: resize '{other}' is not one of bilinear, bicubic, nearest, area"),
    };
}
