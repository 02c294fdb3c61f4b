using Mustafar.Models.Common;
using Mustafar.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mustafar.Models.Clip;

/// <summary>transformers' CLIPVisionEmbeddings: the class token followed by the row-major patches of a bias-free
/// strided conv, plus a learned position embedding per token.</summary>
internal sealed class ClipVisionEmbeddings : nn.Module<Tensor, Tensor>
{
    private readonly Parameter class_embedding;
    private readonly RoutedConv2d patch_embedding;
    private readonly Embedding position_embedding;

    public ClipVisionEmbeddings(ClipVisionConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(ClipVisionEmbeddings))
    {
        class_embedding = nn.Parameter(empty(config.HiddenSize, dtype: dtype, device: device));
        patch_embedding = new RoutedConv2d(config.NumChannels, config.HiddenSize, config.PatchSize, stride: config.PatchSize, bias: false, device: device, dtype: dtype);
        position_embedding = nn.Embedding(config.NumPositions, config.HiddenSize, device: device, dtype: dtype);
        // Non-persistent, as in transformers: computed here, never read from or written to a checkpoint.
        register_buffer("position_ids", ScalarSafeOps.Arange(config.NumPositions, int64, device).unsqueeze(0), persistent: false);
        RegisterComponents();
    }

    /// <param name="pixelValues">[batch, channels, image_size, image_size]</param>
    /// <returns>[batch, 1 + patches, hidden]</returns>
    public override Tensor forward(Tensor pixelValues)
    {
        using var scope = NewDisposeScope();
        var patches = patch_embedding.forward(pixelValues.to(patch_embedding.Weight.dtype)).flatten(2).transpose(1, 2);
        var classToken = class_embedding.expand(pixelValues.shape[0], 1, -1);
        var embeddings = cat([classToken, patches], dim: 1);
        var positions = position_embedding.forward(get_buffer("position_ids")!);
        return embeddings.Add(positions).MoveToOuterDisposeScope();
    }
}
