using Mustafar.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mustafar.Models.Diffusion.TextEncoder;

/// <summary>transformers' CLIPTextEmbeddings: token embedding plus learned absolute position embedding.
/// position_ids is a non-persistent buffer there, so it is computed here and never loaded.</summary>
internal sealed class ClipTextEmbeddings : nn.Module<Tensor, Tensor>
{
    private readonly Embedding token_embedding;
    private readonly Embedding position_embedding;

    public ClipTextEmbeddings(ClipTextConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(ClipTextEmbeddings))
    {
        token_embedding = nn.Embedding(config.VocabSize, config.Encoder.HiddenSize, device: device, dtype: dtype);
        position_embedding = nn.Embedding(config.MaxPositionEmbeddings, config.Encoder.HiddenSize, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <param name="inputIds">[batch, tokens] int64</param>
    public override Tensor forward(Tensor inputIds)
    {
        using var scope = NewDisposeScope();
        var positions = ScalarSafeOps.Arange(inputIds.shape[1], int64, inputIds.device).unsqueeze(0);
        return token_embedding.forward(inputIds).Add(position_embedding.forward(positions)).MoveToOuterDisposeScope();
    }
}
