using Grpc.Core;
using Mustafar.Contracts.Clip.V1;
using Mustafar.Models.Clip;
using Mustafar.Models.Imaging;
using Mustafar.Serving;
using Mustafar.Contracts.Tensors.V1;
using Mustafar.Torch;
using TorchSharp;

namespace Mustafar.ClipEncoder;

/// <summary>
/// <c>mustafar.clip.v1.ClipEncoder</c> over a <see cref="ClipVisionEncoder"/>. Each request is validated, decoded
/// and preprocessed on the caller's thread; every request shares one queue, and a batch runs the tower once up to
/// the deepest layer any of its requests asks for, each request taking its own layer and tokens.
/// </summary>
public sealed class ClipEncoderService : Mustafar.Contracts.Clip.V1.ClipEncoder.ClipEncoderBase
{
    /// <summary>Loads the checkpoint named by <c>Mustafar:Model:Path</c> with the configured device, dtype, id and
    /// pixel cap, then warms up with one blank image.</summary>
    public static ModelLoader<ClipVisionEncoder> Loader { get; } = new(
        context => ClipVisionEncoder.Load(context.ModelPath, new ClipVisionEncoderOptions
        {
            Device = context.Options.Device,
            DType = context.DType,
            ModelId = context.ModelId,
            Decode = ImageDecodeOptions.Default with { MaxPixels = context.Limits.MaxImagePixels },
        }),
        encoder => encoder.Modules,
        (encoder, _) => EncodeBlank(encoder, 1),
        ProbeBatch: EncodeBlank);

    /// <summary>Encodes <paramref name="count"/> blank images in one batch, as a batch of requests runs (warm-up and
    /// the start-up batch-size calibration).</summary>
    private static void EncodeBlank(ClipVisionEncoder encoder, int count)
    {
        var size = encoder.Info.ImageSize;
        var blank = new PreprocessedImage(new float[3 * size * size], size, size, size, size, encoder.Info.Defaults.Aspect);
        encoder.EncodeEach(Enumerable.Repeat(blank, count).ToList(), Enumerable.Repeat(encoder.Resolve(), count).ToList());
    }

    private readonly ModelRuntime<ClipVisionEncoder> runtime;
    private readonly DynamicBatcher<ClipJob, EncodeResponse> batcher;

    public ClipEncoderService(ModelRuntime<ClipVisionEncoder> runtime)
    {
        this.runtime = runtime;
        batcher = runtime.CreateBatcher<ClipJob, EncodeResponse>("encode", RunBatch);
    }

    public override Task<EncodeResponse> Encode(EncodeRequest request, ServerCallContext context)
    {
        var job = Prepare(request, runtime.Model, runtime.Limits);
        return batcher.SubmitAsync(job, context.CancellationToken);
    }

    public override Task<ModelInfo> GetModelInfo(GetModelInfoRequest request, ServerCallContext context)
    {
        var info = Describe(runtime.Model.Info, runtime.Batching.MaxBatchSize);
        info.KernelSelfCheck = runtime.KernelCheck?.ToProto();
        info.BatchCap = runtime.BatchCap;
        return Task.FromResult(info);
    }

    /// <summary>One validated, preprocessed request waiting for a batch.</summary>
    private sealed record ClipJob(PreprocessedImage Image, ClipFeatureRequest Features, DType OutputDType);

    /// <summary>Validates every option (naming the field on failure), then decodes and preprocesses the image.</summary>
    private static ClipJob Prepare(EncodeRequest request, ClipVisionEncoder encoder, LimitsOptions limits)
    {
        var options = request.Options ?? new EncodeOptions();
        var select = RequestChecks.Known(options.SelectFeature, "options.select_feature") switch
        {
            FeatureSelect.Patch => ClipFeatureSelect.Patch,
            FeatureSelect.ClsPatch => ClipFeatureSelect.ClsPatch,
            _ => (ClipFeatureSelect?)null,
        };
        var aspect = RequestChecks.Known(options.Aspect, "options.aspect") switch
        {
            ImageAspect.Pad => AspectFit.Pad,
            ImageAspect.Crop => AspectFit.Crop,
            _ => (AspectFit?)null,
        };
        var features = encoder.Resolve(options.HasSelectLayer ? options.SelectLayer : null, select, "options.select_layer");
        var dtype = RequestChecks.OutputDType(options.OutputDtype, TorchDTypes.ToDType(encoder.Info.ComputeDType), "options.output_dtype");
        var image = encoder.Preprocess(RequestChecks.Image(request.Image, limits), aspect);
        return new ClipJob(image, features, dtype);
    }

    // On the inference thread, inside its dispose scope: the tensors die with it, the messages are returned.
    private static EncodeResponse[] RunBatch(ClipVisionEncoder encoder, IReadOnlyList<ClipJob> jobs)
    {
        var rows = encoder.EncodeEach(jobs.Select(j => j.Image).ToArray(), jobs.Select(j => j.Features).ToArray());
        var info = encoder.Info;
        return jobs.Select((job, i) => new EncodeResponse
        {
            Features = TorchTensorBridge.ToProto(rows[i], job.OutputDType),
            ModelId = info.ModelId,
            SelectLayer = job.Features.HiddenStateIndex,
            SelectFeature = ToProto(job.Features.SelectFeature),
            GridHeight = info.GridHeight,
            GridWidth = info.GridWidth,
            Preprocessing = Describe(info, job.Image.Aspect, job.Image.SourceWidth, job.Image.SourceHeight),
        }).ToArray();
    }

    private static ModelInfo Describe(ClipVisionModelInfo info, int maxBatchSize) => new()
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
        Preprocessing = Describe(info, info.Defaults.Aspect, 0, 0),
    };

    /// <summary>The preprocessing as applied: disabled steps read as their identity (no rescale is factor 1, no
    /// normalisation is mean 0 and std 1), and a fixed-size resize has no shortest edge (0).</summary>
    private static Preprocessing Describe(ClipVisionModelInfo info, AspectFit aspect, int sourceWidth, int sourceHeight)
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

    private static FeatureSelect ToProto(ClipFeatureSelect select) =>
        select == ClipFeatureSelect.ClsPatch ? FeatureSelect.ClsPatch : FeatureSelect.Patch;

    private static ImageAspect ToProto(AspectFit aspect) => aspect == AspectFit.Crop ? ImageAspect.Crop : ImageAspect.Pad;
}
