using Mustafar.Models.Imaging;
using TorchSharp;

namespace Mustafar.Models.Clip;

/// <summary>What a loaded CLIP vision encoder is: sizes, defaults and preprocessing (GetModelInfo's content).</summary>
public sealed record ClipVisionModelInfo(
    string ModelId,
    ClipCheckpointLayout Layout,
    int HiddenSize,
    int NumLayers,
    int ImageSize,
    int PatchSize,
    ClipVisionDefaults Defaults,
    torch.ScalarType ComputeDType,
    string Device,
    ClipImageProcessorConfig Preprocessing,
    long MaxImagePixels)
{
    public int GridHeight => ImageSize / PatchSize;
    public int GridWidth => ImageSize / PatchSize;

    /// <summary>Tokens returned for a feature selection (576 patches for CLIP-L/336, 577 with the class token).</summary>
    public int TokenCount(ClipFeatureSelect select) => ClipFeatureSelection.TokenCount(GridHeight * GridWidth, select);
}

/// <summary>The settings one Encode call resolved to, for echoing back to the caller.</summary>
/// <param name="HiddenStateIndex">The non-negative hidden_states index used (0 = embeddings).</param>
public sealed record ClipFeatureRequest(int HiddenStateIndex, ClipFeatureSelect SelectFeature, int TokenCount);
