using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Mustafar.Contracts.Diffusion.V1;
using Mustafar.Models.Diffusion;
using Mustafar.Services.Tests.Host;
using Mustafar.Contracts.Tensors.V1;
using Mustafar.Torch;
using TorchSharp;
using Mustafar.Services.Tests.KernelSafety;

namespace Mustafar.Services.Tests.Diffusion;

/// <summary>One diffusion request, described once and sent both through the wire and to the extractor directly.</summary>
public sealed record DiffusionCase(
    string Prompt = "",
    int? Timestep = null,
    ulong? Seed = null,
    float? Scale = null,
    string[]? Taps = null,
    FeatureVariant Variant = FeatureVariant.Unspecified,
    LatentMode Latent = LatentMode.Unspecified,
    DType DType = DType.Unspecified,
    bool Truncate = false)
{
    public EncodeRequest ToProto(byte[] image)
    {
        var request = new EncodeRequest
        {
            Image = ByteString.CopyFrom(image), Prompt = Prompt, Variant = Variant, LatentMode = Latent, OutputDtype = DType,
            TruncatePrompt = Truncate,
        };
        if (Timestep is { } t) request.Timestep = t;
        if (Seed is { } seed) request.Seed = seed;
        if (Scale is { } scale) request.GuidanceScale = scale;
        request.Taps.Add(Taps ?? []);
        return request;
    }

    public FeatureRequest ToModel(byte[] image) => new()
    {
        Image = image, Prompt = Prompt, Timestep = Timestep, Seed = Seed, GuidanceScale = Scale, Taps = Taps ?? [],
        Variant = Variant switch
        {
            FeatureVariant.Conditional => ConditioningVariant.Conditional,
            FeatureVariant.Unconditional => ConditioningVariant.Unconditional,
            _ => ConditioningVariant.Guided,
        },
        LatentMode = Latent == LatentMode.Sample ? LatentSampling.Sample : LatentSampling.Mean,
        TruncatePrompt = Truncate,
    };

    public override string ToString() => $"{Variant} '{Prompt[..Math.Min(Prompt.Length, 20)]}' t={Timestep} s={Scale} {DType}";
}

/// <summary>DiffusionEncoder over real gRPC: the numbers, the echoed settings, the model description and bad input.</summary>
public sealed class DiffusionEncoderServiceTests(DiffusionHostFixture sd) : IClassFixture<DiffusionHostFixture>
{
    private const string Question = "what is the animal in this picture doing?";
    private static readonly string LongPrompt = string.Join(' ', Enumerable.Repeat("tell me everything about the picture", 30));
    private static readonly byte[] Image = TestImages.GradientPng(80, 60, seed: 4);

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    public static TheoryData<DiffusionCase> Cases => new()
    {
        new DiffusionCase(),
        new DiffusionCase(Question, Timestep: 300, Seed: 9, Scale: 4, Taps: [DiffusionFeatureOptions.PaperTap, "Mid-Out"], DType: DType.Float16),
        new DiffusionCase(Question, Timestep: 0, Seed: 3, Taps: ["U-L2-R2-Res-Out"], Variant: FeatureVariant.Conditional),
        new DiffusionCase(Question, Timestep: 999, Seed: 5, Scale: 2, Variant: FeatureVariant.Unconditional, Latent: LatentMode.Sample, DType: DType.Bfloat16),
        new DiffusionCase(LongPrompt, Scale: 1.5f, Taps: ["D-L2-R0-B0-Out", "Time-Emb"], DType: DType.Float32, Truncate: true),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Features_through_the_wire_are_the_extractors_own_numbers_with_every_setting_echoed(DiffusionCase request)
    {
        var response = await sd.Client.EncodeAsync(request.ToProto(Image), deadline: DateTime.UtcNow + Eventually.Patience);

        using var scope = torch.NewDisposeScope();
        var expected = sd.Direct.Extract([sd.Direct.Prepare(request.ToModel(Image))])[0];
        var dtype = request.DType == DType.Unspecified ? DType.Float32 : request.DType;
        Assert.Equal(expected.Features.Select(f => f.Tap), response.Features.Select(f => f.Tap));
        for (var i = 0; i < expected.Features.Count; i++)
        {
            var tap = expected.Features[i];
            var wire = response.Features[i];
            // The same bytes: a lone request runs as a batch of one, through the same kernels as the direct call.
            var bytes = TorchTensorBridge.ToProto(tap.Tokens, dtype);
            Assert.Equal((bytes.Dtype, bytes.Shape), (wire.Features.Dtype, wire.Features.Shape));
            Assert.Equal(bytes.Data, wire.Features.Data);
            Assert.Equal((tap.GridHeight, tap.GridWidth, tap.Channels), (wire.GridHeight, wire.GridWidth, wire.Channels));
            Assert.Equal([tap.GridHeight * tap.GridWidth, tap.Channels], wire.Features.Shape);
        }

        var settings = expected.Settings;
        var echoed = response.Settings;
        Assert.Equal((DiffusionHostFixture.ModelId, settings.Timestep, settings.Seed, settings.GuidanceScale, settings.ImageSize),
            (echoed.ModelId, echoed.Timestep, echoed.Seed, echoed.GuidanceScale, echoed.ImageSize));
        Assert.Equal(settings.Taps, echoed.Taps);
        Assert.Equal((settings.PromptSha256, settings.PromptTokens, settings.PromptTruncated, settings.UNetRows),
            (echoed.PromptSha256, echoed.PromptTokens, echoed.PromptTruncated, echoed.UnetRows));
        Assert.NotEqual(FeatureVariant.Unspecified, echoed.Variant);
        Assert.Equal(request.Variant == FeatureVariant.Unspecified ? FeatureVariant.Guided : request.Variant, echoed.Variant);
        Assert.Equal(request.Latent == LatentMode.Sample ? LatentMode.Sample : LatentMode.Mean, echoed.LatentMode);
    }

    [Fact]
    public async Task Settings_fill_in_the_defaults_and_hash_the_prompt_as_sent()
    {
        var info = sd.Direct.Info;
        var defaults = (await sd.Client.EncodeAsync(new DiffusionCase().ToProto(Image))).Settings;
        Assert.Equal((info.DefaultTimestep, info.DefaultSeed, info.DefaultGuidanceScale), (defaults.Timestep, defaults.Seed, defaults.GuidanceScale));
        Assert.Equal(info.DefaultTaps, defaults.Taps);
        Assert.Equal((FeatureVariant.Guided, LatentMode.Mean, Sha256(""), 1), (defaults.Variant, defaults.LatentMode, defaults.PromptSha256, defaults.UnetRows));

        var guided = (await sd.Client.EncodeAsync(new DiffusionCase(Question, Scale: 3).ToProto(Image))).Settings;
        Assert.Equal((Sha256(Question), 2, false), (guided.PromptSha256, guided.UnetRows, guided.PromptTruncated));
        // The gateway hashes what it sends, so a truncated prompt keeps the hash of its full text.
        var truncated = (await sd.Client.EncodeAsync(new DiffusionCase(LongPrompt, Scale: 3, Truncate: true).ToProto(Image))).Settings;
        Assert.Equal((Sha256(LongPrompt), true, info.MaxPromptTokens), (truncated.PromptSha256, truncated.PromptTruncated, truncated.PromptTokens));
        // Nothing depends on the prompt: the hash of "", shared by every question about the image.
        var unconditional = (await sd.Client.EncodeAsync(new DiffusionCase(Question, Scale: 3, Variant: FeatureVariant.Unconditional).ToProto(Image))).Settings;
        Assert.Equal((Sha256(""), 0f, 1), (unconditional.PromptSha256, unconditional.GuidanceScale, unconditional.UnetRows));
    }

    [Fact]
    public async Task Model_info_lists_every_tap_the_defaults_and_the_limits()
    {
        var info = await sd.Client.GetModelInfoAsync(new GetModelInfoRequest());
        var direct = sd.Direct.Info;
        KernelSelfCheckAssert.PassedOn(info.KernelSelfCheck, "cpu", "float32", "conv2d", "group_norm", "layer_norm", "linear", "sdpa");
        Assert.Equal((DiffusionHostFixture.ModelId, direct.ImageSize, direct.NumTrainTimesteps, direct.MaxPromptTokens),
            (info.ModelId, info.ImageSize, info.NumTrainTimesteps, info.MaxPromptTokens));
        Assert.Equal(direct.Taps.Select(t => (t.Name, t.ModulePath, t.GridHeight, t.GridWidth, t.Channels)),
            info.Taps.Select(t => (t.Name, t.ModulePath, t.GridHeight, t.GridWidth, t.Channels)));
        Assert.Contains(info.Taps, t => t.Name == DiffusionFeatureOptions.PaperTap);
        Assert.Equal((direct.DefaultTimestep, direct.DefaultSeed, direct.DefaultGuidanceScale), (info.DefaultTimestep, info.DefaultSeed, info.DefaultGuidanceScale));
        Assert.Equal(direct.DefaultTaps, info.DefaultTaps);
        Assert.Equal((DType.Float32, "cpu", DiffusionHostFixture.MaxBatchRows, (long)DiffusionHostFixture.MaxImagePixels),
            (info.ComputeDtype, info.Device, info.MaxBatchSize, info.MaxImagePixels));
    }

    public static TheoryData<string, Func<EncodeRequest>, string, bool> BadRequests => new()
    {
        { "corrupt image", () => new DiffusionCase().ToProto([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]), "image", false },
        { "too many pixels", () => new DiffusionCase().ToProto(TestImages.GradientPng(200, 120, seed: 6)), "image", true },
        { "unknown tap", () => new DiffusionCase(Taps: ["U-L9-R9-Nope"]).ToProto(Image), "taps", false },
        { "repeated tap", () => new DiffusionCase(Taps: ["Mid-Out", "Mid-Out"]).ToProto(Image), "taps", false },
        { "timestep 1000", () => new DiffusionCase(Timestep: 1000).ToProto(Image), "timestep", false },
        { "timestep -1", () => new DiffusionCase(Timestep: -1).ToProto(Image), "timestep", false },
        { "negative scale", () => new DiffusionCase(Question, Scale: -1).ToProto(Image), "guidance_scale", false },
        { "NaN scale", () => new DiffusionCase(Question, Scale: float.NaN).ToProto(Image), "guidance_scale", false },
        { "prompt over 77 tokens", () => new DiffusionCase(LongPrompt, Scale: 1).ToProto(Image), "prompt", false },
        { "prompt over the character cap", () => new DiffusionCase(new string('a', DiffusionHostFixture.MaxPromptChars + 1), Truncate: true).ToProto(Image), "prompt", true },
        { "conditional without a prompt", () => new DiffusionCase(Variant: FeatureVariant.Conditional).ToProto(Image), "prompt", false },
        { "unknown variant", () => new DiffusionCase(Variant: (FeatureVariant)9).ToProto(Image), "variant", false },
        { "unknown latent mode", () => new DiffusionCase(Latent: (LatentMode)9).ToProto(Image), "latent_mode", false },
        { "integer output", () => new DiffusionCase(DType: DType.Int32).ToProto(Image), "output_dtype", false },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_input_names_its_field_and_the_service_keeps_serving(string what, Func<EncodeRequest> request, string field, bool tooLarge)
    {
        var message = await RpcAssert.FailsOnFieldAsync(
            () => sd.Client.EncodeAsync(request(), deadline: DateTime.UtcNow + Eventually.Patience).ResponseAsync,
            StatusCode.InvalidArgument, field, tooLarge);
        Assert.False(string.IsNullOrWhiteSpace(message), what);

        var good = await sd.Client.EncodeAsync(new DiffusionCase(Question, Scale: 2).ToProto(Image), deadline: DateTime.UtcNow + Eventually.Patience);
        Assert.Equal(2, good.Settings.UnetRows);
        Assert.NotEmpty(good.Features[0].Features.Data);
    }
}
