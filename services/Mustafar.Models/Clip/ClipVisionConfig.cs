using Mustafar.Models.Checkpoints;

namespace Mustafar.Models.Clip;

/// <summary>
/// transformers' <c>CLIPVisionConfig</c>: the shared transformer settings plus the image geometry. Missing keys
/// take CLIPVisionConfig's defaults (ViT-B/32 at 224, quick_gelu).
/// </summary>
public sealed record ClipVisionConfig(ClipEncoderConfig Encoder, int ImageSize, int PatchSize, int NumChannels, int ProjectionDim)
{
    /// <summary>CLIPVisionConfig's defaults for the transformer part.</summary>
    public static readonly ClipEncoderConfig EncoderDefaults = new(
        HiddenSize: 768, IntermediateSize: 3072, NumHiddenLayers: 12, NumAttentionHeads: 12, HiddenAct: "quick_gelu", LayerNormEps: 1e-5);

    public const int DefaultImageSize = 224;
    public const int DefaultPatchSize = 32;
    public const int DefaultNumChannels = 3;
    public const int DefaultProjectionDim = 512;

    public int HiddenSize => Encoder.HiddenSize;
    public int NumLayers => Encoder.NumHiddenLayers;

    /// <summary>Patches per side: the patch conv has stride patch_size and no padding, so a remainder is dropped.</summary>
    public int GridSize => ImageSize / PatchSize;

    public int NumPatches => GridSize * GridSize;

    /// <summary>Class token plus patches: the length of position_embedding and of every hidden state.</summary>
    public int NumPositions => NumPatches + 1;

    /// <summary>Reads a CLIPVisionConfig: a CLIPVisionModel's config.json, or the <c>vision_config</c> section of
    /// a CLIPModel or LLaVA config.</summary>
    public static ClipVisionConfig From(HfConfig config) => From(config, EncoderDefaults, DefaultImageSize, DefaultPatchSize, DefaultProjectionDim);

    /// <summary>As <see cref="From(HfConfig)"/> with other defaults for missing keys (LlavaConfig builds its
    /// vision tower with CLIP-L/336 values, not CLIPVisionConfig's).</summary>
    public static ClipVisionConfig From(HfConfig config, ClipEncoderConfig encoderDefaults, int imageSize, int patchSize, int projectionDim)
    {
        var modelType = config.String("model_type", "clip_vision_model");
        if (modelType != "clip_vision_model")
            throw new NotSupportedException($"{config.Source}: vision model_type '{modelType}' is not supported (only clip_vision_model)");
        var result = new ClipVisionConfig(
            ClipEncoderConfig.From(config, encoderDefaults),
            config.Int("image_size", imageSize),
            config.Int("patch_size", patchSize),
            config.Int("num_channels", DefaultNumChannels),
            config.Int("projection_dim", projectionDim));
        if (result.PatchSize <= 0 || result.ImageSize < result.PatchSize || result.NumChannels <= 0)
            throw new InvalidDataException($"{config.Source}: image_size {result.ImageSize}, patch_size {result.PatchSize} and num_channels {result.NumChannels} do not make a patch grid");
        return result;
    }
}
