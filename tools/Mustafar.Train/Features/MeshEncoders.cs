using Google.Protobuf;
using Grpc.Net.Client;
using Mustafar.Contracts.Diffusion.V1;
using Mustafar.Models.Fusion;
using Mustafar.Tensors.FeatureCaching;
using Mustafar.Contracts.Tensors.V1;

namespace Mustafar.Train.Features;

/// <summary>
/// The CLIP and diffusion encoder services, reached through the gateway's gRPC port (its YARP routes spread the calls
/// over every replica of each pool), asked exactly as the gateway asks them for a request without overrides: CLIP with
/// the checkpoint's layer (made non-negative) and token selection and the service's default aspect; diffusion one half
/// per call with the checkpoint's tap and timestep (else the service's defaults), the service's default seed, the mean
/// latent and the prompt cut to the text encoder's context. Each setting is also what the cache keys name.
/// </summary>
public sealed class MeshEncoders : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly Contracts.Clip.V1.ClipEncoder.ClipEncoderClient _clip;
    private readonly DiffusionEncoder.DiffusionEncoderClient? _diffusion;

    /// <summary>Every feature is asked in float32, the dtype a CPU generator computes in and so the one its gateway
    /// asks for (and keys by).</summary>
    public const DType FeatureDType = DType.Float32;

    public MeshEncoders(Uri gateway, FusionConfig fusion, int? timestep, float? guidanceScale)
    {
        _channel = GrpcChannel.ForAddress(gateway, new GrpcChannelOptions { MaxReceiveMessageSize = 256 << 20, MaxSendMessageSize = 256 << 20 });
        _clip = new Contracts.Clip.V1.ClipEncoder.ClipEncoderClient(_channel);
        var clipInfo = _clip.GetModelInfo(new Contracts.Clip.V1.GetModelInfoRequest());
        var layer = fusion.Clip.ClipSelectLayer < 0 ? clipInfo.NumLayers + 1 + fusion.Clip.ClipSelectLayer : fusion.Clip.ClipSelectLayer;
        if (layer < 0 || layer > clipInfo.NumLayers)
            throw new InvalidDataException($"the checkpoint takes CLIP hidden state {fusion.Clip.ClipSelectLayer}, the mesh's CLIP model '{clipInfo.ModelId}' has {clipInfo.NumLayers} layers");
        var aspect = clipInfo.DefaultAspect == Contracts.Clip.V1.ImageAspect.Unspecified ? Contracts.Clip.V1.ImageAspect.Pad : clipInfo.DefaultAspect;
        var select = fusion.Clip.ClipKeepCls ? Contracts.Clip.V1.FeatureSelect.ClsPatch : Contracts.Clip.V1.FeatureSelect.Patch;
        ClipSettings = new ClipFeatureSettings(clipInfo.ModelId, layer, select, aspect, clipInfo.ImageSize,
            new ExpectedFeature(fusion.Clip.Tokens, fusion.Clip.Channels, FeatureDType));

        if (fusion.Diffusion is not { } spec) return;
        _diffusion = new DiffusionEncoder.DiffusionEncoderClient(_channel);
        var info = _diffusion.GetModelInfo(new GetModelInfoRequest());
        var tap = spec.DiffusionTap is { Length: > 0 } trained ? trained
            : info.DefaultTaps.FirstOrDefault() ?? throw new InvalidDataException("neither the checkpoint nor the mesh's diffusion model names a tap");
        var tapInfo = info.Taps.FirstOrDefault(t => t.Name == tap)
            ?? throw new InvalidDataException($"the checkpoint's tap '{tap}' is not a tap of the mesh's diffusion model '{info.ModelId}'");
        if ((long)tapInfo.GridHeight * tapInfo.GridWidth != spec.Tokens || tapInfo.Channels != spec.Channels)
            throw new InvalidDataException($"tap {tap} of '{info.ModelId}' gives [{tapInfo.GridHeight * tapInfo.GridWidth}, {tapInfo.Channels}], the checkpoint takes {spec}");
        var step = timestep ?? spec.DiffusionTimestep ?? info.DefaultTimestep;
        if (step < 0 || step >= info.NumTrainTimesteps)
            throw new ArgumentException($"timestep {step} is outside [0, {info.NumTrainTimesteps - 1}]");
        Diffusion = new DiffusionSettings(tap, step, Mustafar.Tensors.GuidanceScale.Check(guidanceScale ?? (float?)spec.DiffusionGuidanceScale ?? info.DefaultGuidanceScale));
        DiffusionModelId = info.ModelId;
        DiffusionSeed = info.DefaultSeed;
        DiffusionImageSize = info.ImageSize;
        DiffusionHalfValue = new ExpectedFeature(spec.Tokens, spec.Channels, FeatureDType);
        var latentDType = info.ComputeDtype == DType.Unspecified ? DType.Float32 : info.ComputeDtype;
        Latent = new DiffusionLatentSettings(info.ModelId, info.ImageSize, LatentMode.Mean, info.DefaultSeed,
            new ExpectedFeature(latentDType, info.LatentChannels, info.LatentSize, info.LatentSize));
    }

    public ClipFeatureSettings ClipSettings { get; }

    public DiffusionSettings? Diffusion { get; }

    public string DiffusionModelId { get; } = "";

    public ulong DiffusionSeed { get; }

    public int DiffusionImageSize { get; }

    public ExpectedFeature? DiffusionHalfValue { get; }

    public DiffusionLatentSettings? Latent { get; }

    /// <summary>The settings (and so the cache key) of one diffusion half.</summary>
    public DiffusionHalfSettings Half(FeatureVariant variant, string prompt) =>
        new(DiffusionModelId, Diffusion!.Timestep, DiffusionSeed, Diffusion.Tap, variant, variant == FeatureVariant.Unconditional ? "" : prompt,
            DiffusionImageSize, LatentMode.Mean, DiffusionHalfValue!);

    public async Task<FeatureValue> ClipAsync(byte[] image)
    {
        var s = ClipSettings;
        var response = await _clip.EncodeAsync(new Contracts.Clip.V1.EncodeRequest
        {
            Image = ByteString.CopyFrom(image),
            Options = new Contracts.Clip.V1.EncodeOptions { SelectLayer = s.SelectLayer, SelectFeature = s.Select, Aspect = s.Aspect, OutputDtype = FeatureDType },
        }).ConfigureAwait(false);
        if (response.ModelId != s.ModelId || response.SelectLayer != s.SelectLayer || response.SelectFeature != s.Select)
            throw new InvalidDataException($"a CLIP replica answered as '{response.ModelId}' layer {response.SelectLayer}, not as '{s.ModelId}' layer {s.SelectLayer}: the pool is mid-update; train again when it has settled");
        return new FeatureValue(response.Features);
    }

    /// <summary>One half, from the image's clean latent when there is one (the VAE does not run), else from the image
    /// with its latent asked back.</summary>
    public async Task<(FeatureValue Half, FeatureValue? Latent)> DiffusionHalfAsync(byte[] image, Tensor? latent, FeatureVariant variant, string prompt)
    {
        var settings = Diffusion!;
        var request = new EncodeRequest
        {
            Prompt = variant == FeatureVariant.Unconditional ? "" : prompt,
            Timestep = settings.Timestep,
            Seed = DiffusionSeed,
            Variant = variant,
            OutputDtype = FeatureDType,
            LatentMode = LatentMode.Mean,
            TruncatePrompt = true,
            ReturnLatent = latent is null && Latent is not null,
        };
        if (latent is null) request.Image = ByteString.CopyFrom(image);
        else request.Latent = latent;
        request.Taps.Add(settings.Tap);
        var response = await _diffusion!.EncodeAsync(request).ConfigureAwait(false);
        var echoed = response.Settings;
        if (echoed is null || echoed.ModelId != DiffusionModelId || echoed.Timestep != settings.Timestep || echoed.Seed != DiffusionSeed || echoed.Variant != variant)
            throw new InvalidDataException($"a diffusion replica answered as '{echoed?.ModelId}' t={echoed?.Timestep} seed={echoed?.Seed}, not as asked: the pool is mid-update; train again when it has settled");
        var tap = response.Features.FirstOrDefault(f => f.Tap == settings.Tap)
            ?? throw new InvalidDataException($"the diffusion encoder did not return the tap '{settings.Tap}'");
        var truncated = variant == FeatureVariant.Conditional && echoed.PromptTruncated;
        return (new FeatureValue(tap.Features, truncated), response.Latent is { } l ? new FeatureValue(l) : null);
    }

    public void Dispose() => _channel.Dispose();
}
