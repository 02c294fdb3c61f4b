using Mustafar.Models.Clip;
using Mustafar.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mustafar.Models.Diffusion.TextEncoder;

/// <summary>transformers' CLIPTextTransformer: embeddings, the shared CLIP encoder under a causal mask, and
/// final_layer_norm. No padding mask: Stable Diffusion pipelines attend to the pad tokens too.</summary>
internal sealed class ClipTextTransformer : nn.Module<Tensor, Tensor>
{
    private readonly ClipTextEmbeddings embeddings;
    private readonly ClipEncoderLayerStack encoder;
    private readonly LayerNorm final_layer_norm;

    public ClipTextTransformer(ClipTextConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(ClipTextTransformer))
    {
        embeddings = new ClipTextEmbeddings(config, device: device, dtype: dtype);
        encoder = new ClipEncoderLayerStack(config.Encoder, device: device, dtype: dtype);
        final_layer_norm = nn.LayerNorm(config.Encoder.HiddenSize, config.Encoder.LayerNormEps, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <summary>last_hidden_state [batch, tokens, hidden]: what Stable Diffusion feeds the U-Net.</summary>
    public override Tensor forward(Tensor inputIds)
    {
        using var scope = NewDisposeScope();
        return final_layer_norm.forward(HiddenStates(inputIds)[^1]).MoveToOuterDisposeScope();
    }

    /// <summary>transformers' hidden_states (embeddings, then each layer's output, before final_layer_norm).
    /// The tensors belong to the caller's dispose scope.</summary>
    public IReadOnlyList<Tensor> HiddenStates(Tensor inputIds)
    {
        var hidden = embeddings.forward(inputIds);
        var mask = CausalMask(inputIds.shape[1], hidden.dtype, hidden.device);
        return encoder.HiddenStates(hidden, mask, encoder.NumLayers);
    }

    /// <summary>Additive [1, 1, tokens, tokens] mask: 0 on and below the diagonal, the dtype's lowest value above,
    /// as transformers' _create_4d_causal_attention_mask builds it.</summary>
    public static Tensor CausalMask(long tokens, ScalarType dtype, Device device)
    {
        using var scope = NewDisposeScope();
        var blocked = ScalarSafeOps.Full([tokens, tokens], finfo(dtype).min, dtype, device).triu(1);
        return blocked.view(1, 1, tokens, tokens).MoveToOuterDisposeScope();
    }
}
