using Mustafar.Models.Imaging;
using TorchSharp;

namespace Mustafar.Models.Clip;

/// <summary>How <see cref="ClipVisionEncoder.Load(string, ClipVisionEncoderOptions?)"/> builds the encoder.</summary>
public sealed record ClipVisionEncoderOptions
{
    /// <summary>"cpu", "cuda" or "cuda:N".</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>The compute dtype; the module is built in it and weights convert while loading.</summary>
    public torch.ScalarType DType { get; init; } = torch.ScalarType.Float32;

    /// <summary>Folders searched for the CLIP checkpoint an original-LLaVA config names in mm_vision_tower.</summary>
    public IReadOnlyList<string> VisionTowerSearchPaths { get; init; } = [];

    /// <summary>Decoding limits (pixel cap) and EXIF handling.</summary>
    public ImageDecodeOptions Decode { get; init; } = ImageDecodeOptions.Default;

    /// <summary>Identifier reported to callers; the checkpoint folder's name when null.</summary>
    public string? ModelId { get; init; }

    /// <summary>Overrides of the defaults the checkpoint implies (null keeps the checkpoint's).</summary>
    public int? DefaultSelectLayer { get; init; }
    public ClipFeatureSelect? DefaultSelectFeature { get; init; }
    public AspectFit? DefaultAspect { get; init; }
}
