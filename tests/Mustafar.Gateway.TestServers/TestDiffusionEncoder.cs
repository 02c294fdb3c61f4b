using Grpc.Core;
using Mustafar.Contracts.Diffusion.V1;
using Mustafar.Tensors;
using Mustafar.Contracts.Tensors.V1;

namespace Mustafar.Gateway.TestServers;

/// <summary>
/// A test diffusion encoder. The image's "latent" [4, 8, 8] depends on the image and model only; f_u depends on the
/// latent, model, timestep, seed and tap; f_c = f_u + 0.5 * g(prompt, ...); GUIDED is f_u + s * (f_c - f_u) in
/// float32, like the real service; HALVES returns f_c and f_u separately. A request may bring the latent instead of
/// the image, as the real service allows, and gets the same features. Counts calls per variant, and VAE runs.
/// </summary>
public sealed class TestDiffusionEncoder : DiffusionEncoder.DiffusionEncoderBase
{
    public const string DefaultTap = "U-L1-R1-B0-Cross-Q";
    public const string OtherTap = "U-L1-R0-B0-Cross-Q";
    public const string SmallTap = "U-L0-R0-B0-Cross-Q";
    public const int Grid = 4;
    public const int Channels = 6;
    private int _conditional;
    private int _unconditional;
    private int _guided;
    private int _halves;
    private int _vae;
    private int _fromLatent;
    public const int LatentChannels = 4;
    public const int LatentSize = 8;

    public string ModelId { get; set; } = "test-sd";
    public int ConditionalCalls => Volatile.Read(ref _conditional);
    public int UnconditionalCalls => Volatile.Read(ref _unconditional);
    public int GuidedCalls => Volatile.Read(ref _guided);
    public int HalvesCalls => Volatile.Read(ref _halves);
    /// <summary>Calls that sent the image (its "VAE" ran).</summary>
    public int VaeRuns => Volatile.Read(ref _vae);
    /// <summary>Calls that sent the latent instead of the image.</summary>
    public int LatentCalls => Volatile.Read(ref _fromLatent);
    public CallGate Gate { get; } = new();

    /// <summary>Answers as a service from before latents and the HALVES variant: no latent size in its model info,
    /// HALVES refused as an unknown variant, latent fields ignored.</summary>
    public bool Legacy { get; set; }

    /// <summary>Refuses every image as a real encoder refuses one it cannot decode (INVALID_ARGUMENT naming "image").</summary>
    public bool RejectImages { get; set; }

    private static readonly TapInfo[] Taps =
    [
        new() { Name = SmallTap, ModulePath = "up_blocks.0.attentions.0.transformer_blocks.0.attn2.to_q", GridHeight = 2, GridWidth = 2, Channels = Channels },
        new() { Name = OtherTap, ModulePath = "up_blocks.1.attentions.0.transformer_blocks.0.attn2.to_q", GridHeight = Grid, GridWidth = Grid, Channels = Channels },
        new() { Name = DefaultTap, ModulePath = "up_blocks.1.attentions.1.transformer_blocks.0.attn2.to_q", GridHeight = Grid, GridWidth = Grid, Channels = Channels },
    ];

    public override Task<ModelInfo> GetModelInfo(GetModelInfoRequest request, ServerCallContext context)
    {
        var info = new ModelInfo
        {
            ModelId = ModelId,
            ImageSize = 64,
            NumTrainTimesteps = 1000,
            MaxPromptTokens = 77,
            DefaultTimestep = 50,
            DefaultSeed = 42,
            DefaultGuidanceScale = 0,
            ComputeDtype = DType.Float32,
            Device = "cpu",
            MaxBatchSize = 4,
            MaxImagePixels = 1 << 26,
            LatentChannels = Legacy ? 0 : LatentChannels,
            LatentSize = Legacy ? 0 : LatentSize,
        };
        info.Taps.AddRange(Taps);
        info.DefaultTaps.Add(DefaultTap);
        return Task.FromResult(info);
    }

    public override async Task<EncodeResponse> Encode(EncodeRequest request, ServerCallContext context)
    {
        if (Legacy && request.Variant == FeatureVariant.Halves)
            throw new RpcException(new Status(StatusCode.InvalidArgument, "variant: 4 is not a FeatureVariant"), new Metadata { { ErrorTrailers.Field, "variant" } });
        if (Legacy) request = new EncodeRequest(request) { Latent = null, ReturnLatent = false };
        var variant = request.Variant == FeatureVariant.Unspecified ? FeatureVariant.Guided : request.Variant;
        if (variant == FeatureVariant.Conditional) Interlocked.Increment(ref _conditional);
        else if (variant == FeatureVariant.Unconditional) Interlocked.Increment(ref _unconditional);
        else if (variant == FeatureVariant.Halves) Interlocked.Increment(ref _halves);
        else Interlocked.Increment(ref _guided);
        Interlocked.Increment(ref request.Latent is null ? ref _vae : ref _fromLatent);
        await Gate.PassAsync(context.CancellationToken).ConfigureAwait(false);
        if (RejectImages)
            throw new RpcException(new Status(StatusCode.InvalidArgument, "image: not a PNG, JPEG or WebP image"), new Metadata { { ErrorTrailers.Field, "image" } });
        if (variant is FeatureVariant.Conditional or FeatureVariant.Halves && request.Prompt.Length == 0)
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"prompt: the {variant} variant needs a prompt"));
        if (request.Latent is not null && !request.Image.IsEmpty)
            throw new RpcException(new Status(StatusCode.InvalidArgument, "latent: was given with an image"));
        var timestep = request.HasTimestep ? request.Timestep : 50;
        var seed = request.HasSeed ? request.Seed : 42UL;
        var scale = variant == FeatureVariant.Guided && request.HasGuidanceScale ? request.GuidanceScale : 0f;
        var dtype = request.OutputDtype == DType.Unspecified ? DType.Float32 : request.OutputDtype;
        var latent = request.Latent ?? TensorCodec.FromFloat32(
            TestFeatureMath.Values(LatentChannels * LatentSize * LatentSize, "sd-latent", ModelId, TestFeatureMath.Sha256(request.Image.Span)),
            [LatentChannels, LatentSize, LatentSize], DType.Float32);
        // Every feature is a function of the latent, so the image and its latent give the same features.
        var imageSha = TestFeatureMath.Sha256(latent.Data.Span);
        var taps = request.Taps.Count == 0 ? [DefaultTap] : request.Taps.ToArray();
        var prompt = variant == FeatureVariant.Unconditional ? "" : request.Prompt;

        var response = new EncodeResponse
        {
            Settings = new EncodeSettings
            {
                ModelId = ModelId,
                Timestep = timestep,
                Seed = seed,
                GuidanceScale = scale,
                Variant = variant,
                PromptSha256 = TestFeatureMath.Sha256(System.Text.Encoding.UTF8.GetBytes(prompt)),
                ImageSize = 64,
                LatentMode = LatentMode.Mean,
                UnetRows = variant == FeatureVariant.Halves || (variant == FeatureVariant.Guided && prompt.Length > 0 && scale != 0) ? 2 : 1,
                VaeRan = request.Latent is null,
            },
            Latent = request.ReturnLatent ? latent : null,
        };
        response.Settings.Taps.AddRange(taps);
        foreach (var tapName in taps)
        {
            var tap = Taps.FirstOrDefault(t => t.Name == tapName)
                ?? throw new RpcException(new Status(StatusCode.InvalidArgument, $"taps: unknown tap '{tapName}'"));
            var count = tap.GridHeight * tap.GridWidth * tap.Channels;
            var values = Half(count, "u", imageSha, timestep, seed, tap.Name, "");
            TapFeatures Features(float[] features) => new()
            {
                Tap = tap.Name,
                Features = TensorCodec.FromFloat32(features, [tap.GridHeight * tap.GridWidth, tap.Channels], dtype),
                GridHeight = tap.GridHeight,
                GridWidth = tap.GridWidth,
                Channels = tap.Channels,
            };
            if (variant == FeatureVariant.Halves)
            {
                response.Features.Add(Features(Half(count, "c", imageSha, timestep, seed, tap.Name, prompt)));
                response.UnconditionalFeatures.Add(Features(values));
                continue;
            }
            if (prompt.Length > 0 && variant != FeatureVariant.Unconditional)
            {
                var conditional = Half(count, "c", imageSha, timestep, seed, tap.Name, prompt);
                var s = variant == FeatureVariant.Conditional ? 1f : scale;
                for (var i = 0; i < count; i++) values[i] += s * (conditional[i] - values[i]);
            }
            response.Features.Add(Features(values));
        }
        return response;
    }

    private float[] Half(int count, string half, string imageSha, int timestep, ulong seed, string tap, string prompt)
    {
        var unconditional = TestFeatureMath.Values(count, "sd-u", ModelId, imageSha, timestep, seed, tap);
        if (half == "u") return unconditional;
        var offset = TestFeatureMath.Values(count, "sd-c", ModelId, imageSha, timestep, seed, tap, prompt);
        for (var i = 0; i < count; i++) unconditional[i] += 0.5f * offset[i];
        return unconditional;
    }
}
