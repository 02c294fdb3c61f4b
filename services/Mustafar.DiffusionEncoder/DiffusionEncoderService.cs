using Grpc.Core;
using Microsoft.Extensions.Logging;
using Mustafar.Contracts.Diffusion.V1;
using Mustafar.Models.Diffusion;
using Mustafar.Models.Imaging;
using Mustafar.Serving;
using Mustafar.Contracts.Tensors.V1;
using Mustafar.Torch;

namespace Mustafar.DiffusionEncoder;

/// <summary>
/// <c>mustafar.diffusion.v1.DiffusionEncoder</c> over a <see cref="StableDiffusionFeatureExtractor"/>. Each request
/// is validated, decoded, resized and tokenized on the caller's thread; only requests with the same timestep, taps
/// and image size share a batch, whose conditional and unconditional rows run as one U-Net batch of at most
/// <c>Mustafar:Batching:MaxBatchSize</c> rows (a guided request with a prompt takes two).
/// </summary>
public sealed class DiffusionEncoderService : Mustafar.Contracts.Diffusion.V1.DiffusionEncoder.DiffusionEncoderBase
{
    /// <summary>Loads the diffusers folder named by <c>Mustafar:Model:Path</c>, then warms up with one guided
    /// request (both rows, every component).</summary>
    public static ModelLoader<StableDiffusionFeatureExtractor> Loader { get; } = new(Load, extractor => extractor.Modules, WarmUp,
        ProbeRows, MinBatch: 2);

    /// <summary>The counter of VAE passes per image (what a cached latent saves).</summary>
    public const string VaeImagesTotal = "mustafar_diffusion_vae_images_total";

    private readonly ModelRuntime<StableDiffusionFeatureExtractor> _runtime;
    private readonly DynamicBatcher<DiffusionJob, EncodeResponse> _batcher;

    #region readme-diffusion-batcher
    public DiffusionEncoderService(ModelRuntime<StableDiffusionFeatureExtractor> runtime)
    {
        _runtime = runtime;
        var vaeImages = Prometheus.Metrics.WithCustomRegistry(runtime.Metrics.Registry).CreateCounter(VaeImagesTotal,
            "Images decoded and VAE-encoded; requests that bring their latent skip the VAE and are not counted.");
        _batcher = runtime.CreateBatcher<DiffusionJob, EncodeResponse>("encode", (extractor, jobs) =>
            {
                vaeImages.Inc(jobs.Count(j => j.Prepared.Pixels is not null));
                return RunBatch(extractor, jobs);
            },
            job => job.Prepared.BatchKey, rowCount: job => job.Prepared.UNetRows);
    }
    #endregion

    public override Task<EncodeResponse> Encode(EncodeRequest request, ServerCallContext context)
    {
        var job = Prepare(request, _runtime.Model, _runtime.Limits);
        return _batcher.SubmitAsync(job, context.CancellationToken);
    }

    public override Task<ModelInfo> GetModelInfo(GetModelInfoRequest request, ServerCallContext context)
    {
        var info = DiffusionProtoMapping.ToProto(_runtime.Model.Info);
        info.KernelSelfCheck = _runtime.KernelCheck?.ToProto();
        info.BatchCap = _runtime.BatchCap;
        return Task.FromResult(info);
    }

    /// <summary>One validated, prepared request waiting for a batch.</summary>
    private sealed record DiffusionJob(PreparedFeatureRequest Prepared, DType OutputDType);

    private static StableDiffusionFeatureExtractor Load(ModelLoadContext context)
    {
        // A guided request needs its conditional and unconditional rows in one pass.
        if (context.Batching.MaxBatchSize < 2)
            throw new InvalidOperationException(
                $"{BatchingOptions.Section}:MaxBatchSize is {context.Batching.MaxBatchSize}; the diffusion encoder counts U-Net rows and needs at least 2 (one guided request)");
        return StableDiffusionFeatureExtractor.Load(context.ModelPath, new DiffusionFeatureOptions
        {
            Device = context.Device,
            DType = context.DType,
            ModelId = context.ModelId,
            MaxBatchRows = context.Batching.MaxBatchSize,
            MaxImagePixels = context.Limits.MaxImagePixels,
        }, message => context.Logger.LogInformation("{Component}", message));
    }

    private static void WarmUp(StableDiffusionFeatureExtractor extractor, ModelLoadContext context)
    {
        var size = extractor.Info.ImageSize;
        var blank = new RgbImage(size, size, new byte[size * size * RgbImage.Channels]);
        var request = new FeatureRequest { Prompt = "warm up", GuidanceScale = 1 };
        extractor.Extract([extractor.Prepare(request, blank)]);
    }

    /// <summary>One batch of that many U-Net rows, as requests run: unconditional requests of a blank image (each
    /// decodes nothing, VAE-encodes its image and takes one row), for the start-up batch-size calibration.</summary>
    private static void ProbeRows(StableDiffusionFeatureExtractor extractor, int rows)
    {
        var size = extractor.Info.ImageSize;
        var blank = new RgbImage(size, size, new byte[size * size * RgbImage.Channels]);
        var request = extractor.Prepare(new FeatureRequest { Variant = ConditioningVariant.Unconditional }, blank);
        extractor.Extract(Enumerable.Repeat(request, rows).ToList());
    }

    /// <summary>Validates the request (every error names its field), then decodes and prepares it.</summary>
    private static DiffusionJob Prepare(EncodeRequest request, StableDiffusionFeatureExtractor extractor, LimitsOptions limits)
    {
        var variant = DiffusionProtoMapping.ToDomain(request.Variant);
        var sampling = DiffusionProtoMapping.ToDomain(request.LatentMode);
        var dtype = RequestChecks.OutputDType(request.OutputDtype, TorchDTypes.ToDType(extractor.Info.ComputeDType));
        var prepared = extractor.Prepare(DiffusionProtoMapping.ToDomain(request, variant, sampling, extractor.Info, limits));
        return new DiffusionJob(prepared, dtype);
    }

    // On the inference thread, inside its dispose scope: the tensors die with it, the messages are returned.
    private static EncodeResponse[] RunBatch(StableDiffusionFeatureExtractor extractor, IReadOnlyList<DiffusionJob> jobs)
    {
        var results = extractor.Extract(jobs.Select(j => j.Prepared).ToArray());
        var computeDType = TorchDTypes.ToDType(extractor.Info.ComputeDType);
        return jobs.Select((job, i) => DiffusionProtoMapping.ToProto(results[i], job.OutputDType, computeDType)).ToArray();
    }
}
