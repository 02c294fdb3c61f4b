using Grpc.Core;
using Mustafar.Contracts.Clip.V1;
using Mustafar.Models.Clip;
using Mustafar.Models.Imaging;
using Mustafar.Serving;
using Mustafar.Contracts.Tensors.V1;
using Mustafar.Torch;

namespace Mustafar.ClipEncoder;

/// <summary>
/// <c>mustafar.clip.v1.ClipEncoder</c> over a <see cref="ClipVisionEncoder"/>. Each request is validated, decoded
/// and preprocessed on the caller's thread; every request shares one queue, and a batch runs the tower once up to
/// the deepest layer any of its requests asks for, each request taking its own layer and tokens.
/// </summary>
public sealed class ClipEncoderService : Mustafar.Contracts.Clip.V1.ClipEncoder.ClipEncoderBase
{
    #region readme-clip-service
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

    private readonly ModelRuntime<ClipVisionEncoder> _runtime;
    private readonly DynamicBatcher<ClipJob, EncodeResponse> _batcher;

    public ClipEncoderService(ModelRuntime<ClipVisionEncoder> runtime)
    {
        _runtime = runtime;
        // No compatibility key: any requests can share a batch, each taking its own layer and tokens from it.
        _batcher = runtime.CreateBatcher<ClipJob, EncodeResponse>("encode", RunBatch);
    }

    public override Task<EncodeResponse> Encode(EncodeRequest request, ServerCallContext context)
    {
        // Validated and decoded on the caller's thread: a bad field throws InvalidInputException naming it.
        var job = Prepare(request, _runtime.Model, _runtime.Limits);
        return _batcher.SubmitAsync(job, context.CancellationToken);
    }
    #endregion

    public override Task<ModelInfo> GetModelInfo(GetModelInfoRequest request, ServerCallContext context)
    {
        var info = ClipProtoMapping.ToProto(_runtime.Model.Info, _runtime.Batching.MaxBatchSize);
        info.KernelSelfCheck = _runtime.KernelCheck?.ToProto();
        info.BatchCap = _runtime.BatchCap;
        return Task.FromResult(info);
    }

    /// <summary>Encodes <paramref name="count"/> blank images in one batch, as a batch of requests runs (warm-up and
    /// the start-up batch-size calibration).</summary>
    private static void EncodeBlank(ClipVisionEncoder encoder, int count)
    {
        var size = encoder.Info.ImageSize;
        var blank = new PreprocessedImage(new float[3 * size * size], size, size, size, size, encoder.Info.Defaults.Aspect);
        encoder.EncodeEach(Enumerable.Repeat(blank, count).ToList(), Enumerable.Repeat(encoder.Resolve(), count).ToList());
    }

    /// <summary>One validated, preprocessed request waiting for a batch.</summary>
    private sealed record ClipJob(PreprocessedImage Image, ClipFeatureRequest Features, DType OutputDType);

    /// <summary>Validates every option (naming the field on failure), then decodes and preprocesses the image.</summary>
    private static ClipJob Prepare(EncodeRequest request, ClipVisionEncoder encoder, LimitsOptions limits)
    {
        var options = request.Options ?? new EncodeOptions();
        var select = ClipProtoMapping.ToDomain(options.SelectFeature, "options.select_feature");
        var aspect = ClipProtoMapping.ToDomain(options.Aspect, "options.aspect");
        var features = encoder.Resolve(options.HasSelectLayer ? options.SelectLayer : null, select, "options.select_layer");
        var dtype = RequestChecks.OutputDType(options.OutputDtype, TorchDTypes.ToDType(encoder.Info.ComputeDType), "options.output_dtype");
        var image = encoder.Preprocess(RequestChecks.Image(request.Image, limits), aspect);
        return new ClipJob(image, features, dtype);
    }

    // On the inference thread, inside its dispose scope: the tensors die with it, the messages are returned.
    private static EncodeResponse[] RunBatch(ClipVisionEncoder encoder, IReadOnlyList<ClipJob> jobs)
    {
        var rows = encoder.EncodeEach(jobs.Select(j => j.Image).ToArray(), jobs.Select(j => j.Features).ToArray());
        return jobs.Select((job, i) => ClipProtoMapping.ToProto(rows[i], job.Features, job.Image, job.OutputDType, encoder.Info)).ToArray();
    }
}
