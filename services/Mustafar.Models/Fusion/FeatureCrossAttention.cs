using Mustafar.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Mustafar.Models.KernelChecks;

namespace Mustafar.Models.Fusion;

/// <summary>
/// The cross-attention fusion block (Mustafar extension; the paper does not publish one, see
/// docs/fusion-checkpoints.md): CLIP tokens are the queries, diffusion tokens the keys and values, pre-norm on both,
/// multi-head attention with biased projections, and a residual onto the CLIP tokens, so the output keeps CLIP's
/// token count and width and feeds the usual LLaVA projector.
/// </summary>
internal sealed class FeatureCrossAttention : nn.Module<Tensor, Tensor, Tensor>, IAttentionHeads
{
    private readonly LayerNorm norm_clip;
    private readonly LayerNorm norm_diffusion;
    private readonly Linear q_proj;
    private readonly Linear k_proj;
    private readonly Linear v_proj;
    private readonly Linear out_proj;
    private readonly int _heads;

    public FeatureCrossAttention(int clipChannels, int diffusionChannels, int heads, double layerNormEps, Device? device = null, ScalarType? dtype = null)
        : base(nameof(FeatureCrossAttention))
    {
        if (heads <= 0 || clipChannels % heads != 0)
            throw new InvalidDataException($"cross-attention: {clipChannels} CLIP channels cannot be split into {heads} heads");
        _heads = heads;
        norm_clip = nn.LayerNorm(clipChannels, layerNormEps, device: device, dtype: dtype);
        norm_diffusion = nn.LayerNorm(diffusionChannels, layerNormEps, device: device, dtype: dtype);
        q_proj = nn.Linear(clipChannels, clipChannels, true, device, dtype);
        k_proj = nn.Linear(diffusionChannels, clipChannels, true, device, dtype);
        v_proj = nn.Linear(diffusionChannels, clipChannels, true, device, dtype);
        out_proj = nn.Linear(clipChannels, clipChannels, true, device, dtype);
        RegisterComponents();
    }

    long IAttentionHeads.Heads => _heads;

    long IAttentionHeads.HeadDim => q_proj.out_features / _heads;

    /// <param name="clip">[batch, clip tokens, clip channels]</param>
    /// <param name="diffusion">[batch, diffusion tokens, diffusion channels]</param>
    /// <returns>[batch, clip tokens, clip channels]</returns>
    public override Tensor forward(Tensor clip, Tensor diffusion)
    {
        using var scope = NewDisposeScope();
        var (batch, channels) = (clip.shape[0], clip.shape[2]);
        var headDim = channels / _heads;
        Tensor Heads(Tensor x) => x.view(batch, x.shape[1], _heads, headDim).transpose(1, 2);
        var context = norm_diffusion.forward(diffusion);
        var attended = nn.functional.scaled_dot_product_attention(
            Heads(q_proj.forward(norm_clip.forward(clip))), Heads(k_proj.forward(context)), Heads(v_proj.forward(context)));
        var merged = attended.transpose(1, 2).reshape(batch, clip.shape[1], channels);
        return clip.Add(out_proj.forward(merged)).MoveToOuterDisposeScope();
    }
}
