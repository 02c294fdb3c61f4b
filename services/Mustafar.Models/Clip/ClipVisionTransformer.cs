using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mustafar.Models.Clip;

/// <summary>transformers' CLIPVisionTransformer: embeddings, <c>pre_layrnorm</c> (sic, the checkpoint's key),
/// the encoder, and <c>post_layernorm</c> applied to the class token only (the pooled output).</summary>
internal sealed class ClipVisionTransformer : nn.Module<Tensor, Tensor>
{
    private readonly ClipVisionEmbeddings embeddings;
    private readonly LayerNorm pre_layrnorm;
    private readonly ClipEncoderLayerStack encoder;
    private readonly LayerNorm post_layernorm;

    public ClipVisionTransformer(ClipVisionConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(ClipVisionTransformer))
    {
        embeddings = new ClipVisionEmbeddings(config, device: device, dtype: dtype);
        pre_layrnorm = nn.LayerNorm(config.HiddenSize, config.Encoder.LayerNormEps, device: device, dtype: dtype);
        encoder = new ClipEncoderLayerStack(config.Encoder, device: device, dtype: dtype);
        post_layernorm = nn.LayerNorm(config.HiddenSize, config.Encoder.LayerNormEps, device: device, dtype: dtype);
        RegisterComponents();
    }

    public int NumLayers => encoder.NumLayers;

    /// <summary>hidden_states[0]: the embeddings after pre_layrnorm.</summary>
    public Tensor Embed(Tensor pixelValues)
    {
        using var scope = NewDisposeScope();
        return pre_layrnorm.forward(embeddings.forward(pixelValues)).MoveToOuterDisposeScope();
    }

    /// <summary>hidden_states[0..upToLayer], running only the layers needed. The tensors belong to the caller's
    /// dispose scope.</summary>
    public IReadOnlyList<Tensor> HiddenStates(Tensor pixelValues, int upToLayer) =>
        encoder.HiddenStates(Embed(pixelValues), null, upToLayer);

    /// <summary>hidden_states[layer] alone, freeing each earlier state as soon as the next exists.</summary>
    public Tensor HiddenState(Tensor pixelValues, int layer)
    {
        using var scope = NewDisposeScope();
        return encoder.HiddenState(Embed(pixelValues), null, layer).MoveToOuterDisposeScope();
    }

    /// <summary>hidden_states[i] for each requested i, running the layers once up to the deepest.</summary>
    public IReadOnlyDictionary<int, Tensor> SelectedHiddenStates(Tensor pixelValues, IReadOnlyCollection<int> layers) =>
        encoder.SelectedHiddenStates(Embed(pixelValues), null, layers);

    /// <summary>pooler_output: post_layernorm of the class token of <paramref name="lastHiddenState"/>.</summary>
    public Tensor Pool(Tensor lastHiddenState)
    {
        using var scope = NewDisposeScope();
        return post_layernorm.forward(lastHiddenState[.., 0, ..]).MoveToOuterDisposeScope();
    }

    /// <summary>last_hidden_state (not post-layernormed, as in transformers).</summary>
    public override Tensor forward(Tensor pixelValues) => HiddenState(pixelValues, NumLayers);
}
