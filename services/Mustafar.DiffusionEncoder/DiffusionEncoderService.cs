using Grpc.Core;
using Microsoft.Extensions.Logging;
using Mustafar.Contracts.Diffusion.V1;
using Mustafar.Models.Diffusion;
using Mustafar.Models.Imaging;
using Mustafar.Serving;
using Mustafar.Tensors;
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

    private readonly ModelRuntime<StableDiffusionFeatureExtractor> runtime;
    private readonly DynamicBatcher<DiffusionJob, EncodeResponse> batcher;

    public DiffusionEncoderService(ModelRuntime<StableDiffusionFeatureExtractor> runtime)
    {
        this.runtime = runtime;
        var vaeImages = Prometheus.Metrics.WithCustomRegistry(runtime.Metrics.Registry).CreateCounter(VaeImagesTotal,
            "Images decoded and VAE-encoded; requests that bring their latent skip the VAE and are not counted.");
        batcher = runtime.CreateBatcher<DiffusionJob, EncodeResponse>("encode", (extractor, jobs) =>
            {
                vaeImages.Inc(jobs.Count(j => j.Prepared.Pixels is not null));
                return RunBatch(extractor, jobs);
            },
            job => job.Prepared.BatchKey, rowCount: job => job.Prepared.UNetRows);
    }

    public override Task<EncodeResponse> Encode(EncodeRequest request, ServerCallContext context)
    {
        var job = Prepare(request, runtime.Model, runtime.Limits);
        return batcher.SubmitAsync(job, context.CancellationToken);
    }

    public override Task<ModelInfo> GetModelInfo(GetModelInfoRequest request, ServerCallContext context)
    {
        var info = Describe(runtime.Model.Info);
        info.KernelSelfCheck = runtime.KernelCheck?.ToProto();
        info.BatchCap = runtime.BatchCap;
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
        var variant = RequestChecks.Known(request.Variant, "variant") switch
        {
            FeatureVariant.Conditional => ConditioningVariant.Conditional,
            FeatureVariant.Unconditional => ConditioningVariant.Unconditional,
            FeatureVariant.Halves => ConditioningVariant.Halves,
            _ => ConditioningVariant.Guided,
        };
        var latentMode = RequestChecks.Known(request.LatentMode, "latent_mode") == LatentMode.Sample ? LatentSampling.Sample : LatentSampling.Mean;
        var dtype = RequestChecks.OutputDType(request.OutputDtype, TorchDTypes.ToDType(extractor.Info.ComputeDType));
        var prepared = extractor.Prepare(new FeatureRequest
        {
            Image = request.Latent is null ? RequestChecks.Image(request.Image, limits) : request.Image.Memory,
            Latent = request.Latent is null ? null : LatentValues(request.Latent, extractor.Info),
            ReturnLatent = request.ReturnLatent,
            Prompt = RequestChecks.Text(request.Prompt, limits.MaxPromptChars, "prompt"),
            Timestep = request.HasTimestep ? request.Timestep : null,
            Seed = request.HasSeed ? request.Seed : null,
            GuidanceScale = request.HasGuidanceScale ? request.GuidanceScale : null,
            Taps = request.Taps,
            Variant = variant,
            LatentMode = latentMode,
            TruncatePrompt = request.TruncatePrompt,
        });
        return new DiffusionJob(prepared, dtype);
    }

    /// <summary>The latent a request brought, as float32 (exact for every compute dtype): it must be what this
    /// service returns, [latent_channels, latent_size, latent_size] in the compute dtype.</summary>
    private static float[] LatentValues(Tensor latent, DiffusionModelInfo info)
    {
        var view = TensorView.Open(latent, "latent");
        long[] shape = [info.LatentChannels, info.LatentSize, info.LatentSize];
        var computeDType = TorchDTypes.ToDType(info.ComputeDType);
        if (view.DType != computeDType || !view.Shape.SequenceEqual(shape))
            throw new InvalidInputException("latent",
                $"is {DTypes.Name(view.DType)} [{string.Join(", ", view.Shape)}]; this model's latent is {DTypes.Name(computeDType)} [{string.Join(", ", shape)}]");
        return view.ToFloat32Array();
    }

    // On the inference thread, inside its dispose scope: the tensors die with it, the messages are returned.
    private static EncodeResponse[] RunBatch(StableDiffusionFeatureExtractor extractor, IReadOnlyList<DiffusionJob> jobs)
    {
        var results = extractor.Extract(jobs.Select(j => j.Prepared).ToArray());
        return jobs.Select((job, i) =>
        {
            var response = new EncodeResponse { Settings = Describe(results[i].Settings) };
            TapFeatures ToProto(TapTokens tap) => new()
            {
                Tap = tap.Tap,
                Features = TorchTensorBridge.ToProto(tap.Tokens, job.OutputDType),
                GridHeight = tap.GridHeight,
                GridWidth = tap.GridWidth,
                Channels = tap.Channels,
            };
            response.Features.Add(results[i].Features.Select(ToProto));
            response.UnconditionalFeatures.Add((results[i].UnconditionalFeatures ?? []).Select(ToProto));
            if (results[i].Latent is { } latent) response.Latent = TorchTensorBridge.ToProto(latent, TorchDTypes.ToDType(extractor.Info.ComputeDType));
            return response;
        }).ToArray();
    }

    private static EncodeSettings Describe(FeatureSettings settings)
    {
        var result = new EncodeSettings
        {
            ModelId = settings.ModelId,
            Timestep = settings.Timestep,
            Seed = settings.Seed,
            GuidanceScale = settings.GuidanceScale,
            Variant = settings.Variant switch
            {
                ConditioningVariant.Conditional => FeatureVariant.Conditional,
                ConditioningVariant.Unconditional => FeatureVariant.Unconditional,
                ConditioningVariant.Halves => FeatureVariant.Halves,
                _ => FeatureVariant.Guided,
            },
            PromptSha256 = settings.PromptSha256,
            ImageSize = settings.ImageSize,
            LatentMode = settings.LatentMode == LatentSampling.Sample ? LatentMode.Sample : LatentMode.Mean,
            PromptTokens = settings.PromptTokens,
            PromptTruncated = settings.PromptTruncated,
            UnetRows = settings.UNetRows,
            VaeRan = settings.VaeRan,
        };
        result.Taps.Add(settings.Taps);
        return result;
    }

    private static ModelInfo Describe(DiffusionModelInfo info)
    {
        var result = new ModelInfo
        {
            ModelId = info.ModelId,
            ImageSize = info.ImageSize,
            NumTrainTimesteps = info.NumTrainTimesteps,
            MaxPromptTokens = info.MaxPromptTokens,
            DefaultTimestep = info.DefaultTimestep,
            DefaultSeed = info.DefaultSeed,
            DefaultGuidanceScale = info.DefaultGuidanceScale,
            ComputeDtype = TorchDTypes.ToDType(info.ComputeDType),
            Device = info.Device,
            MaxBatchSize = info.MaxBatchRows,
            MaxImagePixels = info.MaxImagePixels,
            LatentChannels = info.LatentChannels,
            LatentSize = info.LatentSize,
        };
        result.Taps.Add(info.Taps.Select(tap => new TapInfo
        {
            Name = tap.Name,
            ModulePath = tap.ModulePath,
            GridHeight = tap.GridHeight,
            GridWidth = tap.GridWidth,
            Channels = tap.Channels,
        }));
        result.DefaultTaps.Add(info.DefaultTaps);
        return result;
    }
}
