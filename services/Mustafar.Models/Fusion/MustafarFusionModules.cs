using TorchSharp;
using static TorchSharp.torch;

namespace Mustafar.Models.Fusion;

/// <summary>The modules a Mustafar checkpoint adds to LLaVA: the diffusion projector (concat-tokens) or the
/// cross-attention block (cross-attention). concat-channels needs none: it widens LLaVA's own projector.</summary>
public sealed class MustafarFusionModules : nn.Module
{
    private readonly LlavaMultiModalProjector? diffusion_projector;
    private readonly FeatureCrossAttention? cross_attention;

    public MustafarFusionModules(FusionConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(MustafarFusionModules))
    {
        if (config.Mode == FusionKind.ConcatTokens)
            diffusion_projector = new LlavaMultiModalProjector(config.Diffusion!.Channels, config.TextHiddenSize, config.ProjectorActivation, config.ProjectorBias, device, dtype);
        if (config.Mode == FusionKind.CrossAttention)
            cross_attention = new FeatureCrossAttention(config.Clip.Channels, config.Diffusion!.Channels, config.CrossAttentionHeads, config.CrossAttentionLayerNormEps, device, dtype);
        RegisterComponents();
    }

    /// <summary>Whether the mode has extra modules at all.</summary>
    public static bool Needed(FusionKind mode) => mode is FusionKind.ConcatTokens or FusionKind.CrossAttention;

    /// <summary>The state-dict prefix of each extra module (relative to this module) and its checkpoint prefix.</summary>
    public static IReadOnlyList<(string Module, string Checkpoint)> KeyPrefixes(FusionConfig config) => config.Mode switch
    {
        FusionKind.ConcatTokens => [("diffusion_projector.", config.DiffusionProjectorPrefix)],
        FusionKind.CrossAttention => [("cross_attention.", config.CrossAttentionPrefix)],
        _ => [],
    };

    public Tensor ProjectDiffusion(Tensor diffusion) =>
        (diffusion_projector ?? throw new InvalidOperationException("this checkpoint has no diffusion projector")).forward(diffusion);

    public Tensor AttendToDiffusion(Tensor clip, Tensor diffusion) =>
        (cross_attention ?? throw new InvalidOperationException("this checkpoint has no cross-attention block")).forward(clip, diffusion);
}
