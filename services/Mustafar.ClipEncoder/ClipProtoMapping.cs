using Mustafar.Contracts.Clip.V1;
using Mustafar.Contracts.Tensors.V1;
using Mustafar.Models.Clip;
using Mustafar.Models.Imaging;
using Mustafar.Serving;
using Mustafar.Torch;
using TorchSharp;

namespace Mustafar.ClipEncoder;

/// <summary>
/// The CLIP host's one translation between <c>clip.v1</c> messages and the model's types (feature selection, aspect
/// handling, results and the model's description), as GatewayProtoMapping is the gateway's. A request enum is
/// checked here, the error naming its field; an unset value stays unset (null), so the checkpoint's default applies.
/// </summary>
public static class ClipProtoMapping
{
    // ---- requests in ----

    public static ClipFeatureSelect? ToDomain(FeatureSelect select, string field) => RequestChecks.Known(select, field) switch
    {
        FeatureSelect.Patch => ClipFeatureSelect.Patch,
        FeatureSelect.ClsPatch => ClipFeatureSelect.ClsPatch,
        _ => null,
    };

    public static AspectFit? ToDomain(ImageAspect aspect, string field) => RequestChecks.Known(aspect, field) switch
    {
        ImageAspect.Pad => AspectFit.Pad,
        ImageAspect.Crop => AspectFit.Crop,
        _ => null,
    };

    // ---- responses out ----

    /// <summary>One request's answer: its features (<paramref name="row"/>, converted to <paramref name="outputDType"/>)
    /// and the settings and preprocessing that made them.</summary>
    public static EncodeResponse ToProto(torch.Tensor row, ClipFeatureRequest features, PreprocessedImage image, DType outputDType,
        ClipVisionModelInfo info) => new()
    {
        Features = TorchTensorBridge.ToProto(row, outputDType),
        ModelId = info.ModelId,
        SelectLayer = features.HiddenStateIndex,
        SelectFeature = ToProto(features.SelectFeature),
        GridHeight = info.GridHeight,
        GridWidth = info.GridWidth,
        Preprocessing = ToProto(info, image.Aspect, image.SourceWidth, image.SourceHeight),
    };

    public static ModelInfo ToProto(ClipVisionModelInfo info, int maxBatchSize) => new()
    {
        ModelId = info.ModelId,
        HiddenSize = info.HiddenSize,
        NumLayers = info.NumLayers,
        ImageSize = info.ImageSize,
        PatchSize = info.PatchSize,
        GridHeight = info.GridHeight,
        GridWidth = info.GridWidth,
        DefaultSelectLayer = info.Defaults.SelectLayer,
        DefaultSelectFeature = ToProto(info.Defaults.SelectFeature),
        DefaultAspect = ToProto(info.Defaults.Aspect),
        ComputeDtype = TorchDTypes.ToDType(info.ComputeDType),
        Device = info.Device,
        MaxBatchSize = maxBatchSize,
        MaxImagePixels = info.MaxImagePixels,
        Preprocessing = ToProto(info, info.Defaults.Aspect, 0, 0),
    };

    /// <summary>The preprocessing as applied: disabled steps read as their identity (no rescale is factor 1, no
    /// normalisation is mean 0 and std 1), and a fixed-size resize has no shortest edge (0).</summary>
    public static Preprocessing ToProto(ClipVisionModelInfo info, AspectFit aspect, int sourceWidth, int sourceHeight)
    {
        var config = info.Preprocessing;
        var result = new Preprocessing
        {
            SourceWidth = sourceWidth,
            SourceHeight = sourceHeight,
            Aspect = ToProto(aspect),
            CropSize = info.ImageSize,
            ShortestEdge = config.DoResize ? config.ShortestEdge ?? 0 : 0,
            Resample = config.Resample.ToString().ToLowerInvariant(),
            RescaleFactor = config.DoRescale ? (float)config.RescaleFactor : 1f,
        };
        result.ImageMean.Add(config.DoNormalize ? config.ImageMean.Select(m => (float)m) : [0f, 0f, 0f]);
        result.ImageStd.Add(config.DoNormalize ? config.ImageStd.Select(s => (float)s) : [1f, 1f, 1f]);
        return result;
    }

    public static FeatureSelect ToProto(ClipFeatureSelect select) =>
        select == ClipFeatureSelect.ClsPatch ? FeatureSelect.ClsPatch : FeatureSelect.Patch;

    public static ImageAspect ToProto(AspectFit aspect) => aspect == AspectFit.Crop ? ImageAspect.Crop : ImageAspect.Pad;
}
