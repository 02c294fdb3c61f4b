using Google.Protobuf;
using Grpc.Core;
using Mustafar.Contracts.Generation.V1;
using Mustafar.Services.Tests.Host;
using Mustafar.Tensors;
using Mustafar.Contracts.Tensors.V1;
using Mustafar.Services.Tests.KernelSafety;
using Mustafar.Models.Generation;

namespace Mustafar.Services.Tests.Generator;

/// <summary>Generator over real gRPC: the streamed answer, the final message, the model description and bad input.</summary>
public sealed class GeneratorServiceTests(GeneratorHostFixture llava) : IClassFixture<GeneratorHostFixture>
{
    private const string Question = "What is shown in this image?";

    private static FinishReason ToProto(StopReason reason) => reason switch
    {
        StopReason.Eos => FinishReason.Eos,
        StopReason.Length => FinishReason.Length,
        StopReason.StopString => FinishReason.StopString,
        StopReason.ContextFull => FinishReason.ContextFull,
        _ => FinishReason.Unspecified,
    };

    public static TheoryData<Conversation> Conversations => new()
    {
        new Conversation(Question, FeatureSeed: 1, Sampling: Conversation.Greedy(12)),
        new Conversation("Describe the picture in detail, please.", FeatureSeed: 2, FeatureDType: DType.Float16, Sampling: Conversation.Greedy(9)),
        new Conversation("What color is the car?", FeatureSeed: 3,
            Sampling: new SamplingParams { MaxNewTokens = 10, Temperature = 0.9f, TopP = 0.9f, TopK = 40, Seed = 7, RepetitionPenalty = 1.2f }),
        new Conversation("Hello there, who are you?", Sampling: Conversation.Greedy(8)),
        new Conversation(Question, FeatureSeed: 4),
    };

    [Theory]
    [MemberData(nameof(Conversations))]
    public async Task The_stream_carries_the_models_own_answer_then_one_final_message(Conversation conversation)
    {
        var streamed = await Streamed.ReadAsync(llava.Client, conversation.ToProto(llava.Direct));
        var (text, result) = conversation.Direct(llava.Direct);

        Assert.Equal(text, streamed.Text);
        var done = streamed.Done;
        Assert.Equal(ToProto(result.Reason), done.FinishReason);
        Assert.Equal((result.PromptTokens, result.CompletionTokens, result.ImageTokens), (done.PromptTokens, done.CompletionTokens, done.ImageTokens));
        Assert.Equal(conversation.FeatureSeed == 0 ? 0 : llava.Direct.Info.ImageTokens, done.ImageTokens);
        Assert.True(done.QueueMs >= 0 && done.PrefillMs > 0 && done.DecodeMs >= 0, $"{done}");
        Assert.Equal("", done.StopString);
        // Deltas count tokens as they go, and never split a character.
        Assert.All(streamed.Deltas, d => Assert.NotEmpty(d.Text));
        Assert.Equal(streamed.Deltas.Select(d => d.CompletionTokens).Order(), streamed.Deltas.Select(d => d.CompletionTokens));
        Assert.All(streamed.Deltas, d => Assert.InRange(d.CompletionTokens, 1, done.CompletionTokens));
    }

    [Fact]
    public async Task A_stop_string_ends_the_answer_before_it_and_is_reported()
    {
        var greedy = new Conversation(Question, FeatureSeed: 5, Sampling: Conversation.Greedy(24));
        var (full, _) = greedy.Direct(llava.Direct);
        Assert.True(full.Length >= 8, $"the tiny model's answer '{full}' is too short to cut");
        var stop = full.Substring(full.Length / 2, 3);
        var sampling = Conversation.Greedy(24);
        sampling.Stop.Add(stop);

        var streamed = await Streamed.ReadAsync(llava.Client, (greedy with { Sampling = sampling }).ToProto(llava.Direct));

        Assert.Equal(FinishReason.StopString, streamed.Done.FinishReason);
        Assert.Equal(stop, streamed.Done.StopString);
        Assert.Equal(full[..full.IndexOf(stop, StringComparison.Ordinal)], streamed.Text);
    }

    [Fact]
    public async Task Model_info_reports_the_fusion_mode_the_expected_features_the_limits_and_the_sampling_defaults()
    {
        var info = await llava.Client.GetModelInfoAsync(new GetModelInfoRequest());
        var direct = llava.Direct.Info;
        KernelSelfCheckAssert.PassedOn(info.KernelSelfCheck, "cpu", "float32", "linear", "rms_norm", "sdpa");
        Assert.Equal((GeneratorHostFixture.ModelId, FusionMode.ConcatTokens), (info.ModelId, info.FusionMode));
        Assert.Equal([FusionMode.ConcatTokens], info.SupportedFusionModes);
        Assert.Equal(direct.ExpectedFeatures.Select(s => (s.Name, s.Tokens, s.Channels, s.GridHeight, s.GridWidth)),
            info.ExpectedFeatures.Select(s => (s.Name, s.Tokens, s.Channels, s.GridHeight, s.GridWidth)));
        var clip = info.ExpectedFeatures.Single(s => s.Name == "clip");
        var diffusion = info.ExpectedFeatures.Single(s => s.Name == "diffusion");
        var directDiffusion = direct.ExpectedFeatures.Single(s => s.Name == "diffusion");
        Assert.Equal((FeatureSource.Clip, -2, false), (clip.Source, clip.ClipSelectLayer, clip.ClipKeepCls));
        Assert.Equal((FeatureSource.Diffusion, directDiffusion.DiffusionTap), (diffusion.Source, diffusion.DiffusionTap));
        Assert.Equal(directDiffusion.DiffusionTimestep, diffusion.HasDiffusionTimestep ? diffusion.DiffusionTimestep : null);
        Assert.Equal(directDiffusion.DiffusionGuidanceScale, diffusion.HasDiffusionGuidanceScale ? diffusion.DiffusionGuidanceScale : null);
        Assert.Equal(directDiffusion.DiffusionPrompt ?? "", diffusion.DiffusionPromptMode);
        Assert.Equal((direct.ImageTokens, direct.ContextLength, direct.VocabSize, GeneratorHostFixture.MaxNewTokens, "vicuna_v1"),
            (info.ImageTokens, info.ContextLength, info.VocabSize, info.MaxNewTokensLimit, info.ConversationTemplate));
        Assert.Equal((DType.Float32, "cpu", 8), (info.ComputeDtype, info.Device, info.MaxBatchSize));
        var defaults = direct.DefaultSampling;
        Assert.Equal((defaults.MaxNewTokens, defaults.Temperature, defaults.TopP, defaults.TopK, defaults.RepetitionPenalty, false),
            (info.DefaultSampling.MaxNewTokens, info.DefaultSampling.Temperature, info.DefaultSampling.TopP, info.DefaultSampling.TopK,
                info.DefaultSampling.RepetitionPenalty, info.DefaultSampling.HasSeed));
    }

    private static NamedTensor Feature(GenerateRequest request, string name) => request.Features.Single(f => f.Name == name);

    private static Tensor Retyped(Tensor tensor, DType dtype) => TensorCodec.Wrap(dtype, [.. tensor.Shape], tensor.Data.Memory);

    private static Tensor Transposed(Tensor tensor) => TensorCodec.Wrap(tensor.Dtype, [tensor.Shape[1], tensor.Shape[0]], tensor.Data.Memory);

    private static Tensor AllNaN(Tensor tensor) =>
        TensorCodec.FromFloat32(Enumerable.Repeat(float.NaN, (int)(tensor.Shape[0] * tensor.Shape[1])).ToArray(), [.. tensor.Shape], DType.Float32);

    /// <summary>Each case spoils one field of a good request with an image.</summary>
    public static TheoryData<string, Action<GenerateRequest>, string, bool> BadRequests => new()
    {
        { "integer feature", r => Feature(r, "clip").Tensor = Retyped(Feature(r, "clip").Tensor, DType.Int32), "features[\"clip\"]", false },
        { "feature of the wrong shape", r => Feature(r, "clip").Tensor = Transposed(Feature(r, "clip").Tensor), "features[\"clip\"]", false },
        { "feature bytes that do not fit its shape", r => Feature(r, "diffusion").Tensor.Data = ByteString.CopyFrom(new byte[12]), "features[\"diffusion\"].data", false },
        { "NaN in a feature", r => Feature(r, "clip").Tensor = AllNaN(Feature(r, "clip").Tensor), "features[\"clip\"]", false },
        { "missing feature", r => r.Features.Remove(Feature(r, "diffusion")), "features[\"diffusion\"]", false },
        { "unknown feature", r => r.Features.Add(TensorCodec.Named("depth", Feature(r, "clip").Tensor)), "features[\"depth\"]", false },
        { "feature sent twice", r => r.Features.Add(Feature(r, "clip").Clone()), "features[\"clip\"]", false },
        { "fusion mode of another model", r => r.FusionMode = FusionMode.ClipOnly, "fusion_mode", false },
        { "unknown fusion mode", r => r.FusionMode = (FusionMode)9, "fusion_mode", false },
        { "negative max_new_tokens", r => r.Sampling.MaxNewTokens = -1, "sampling.max_new_tokens", false },
        { "max_new_tokens over the limit", r => r.Sampling.MaxNewTokens = GeneratorHostFixture.MaxNewTokens + 1, "sampling.max_new_tokens", false },
        { "top_p 0", r => r.Sampling.TopP = 0, "sampling.top_p", false },
        { "top_p above 1", r => r.Sampling.TopP = 1.01f, "sampling.top_p", false },
        { "negative temperature", r => r.Sampling.Temperature = -0.5f, "sampling.temperature", false },
        { "empty stop string", r => r.Sampling.Stop.Add(""), "sampling.stop[0]", false },
        { "role unspecified", r => r.Messages[0].Role = Role.Unspecified, "messages[0].role", false },
        { "no conversation", r => r.Messages.Clear(), "messages", false },
        { "prompt over the character cap", r => r.Messages[0].Content = new string('a', GeneratorHostFixture.MaxPromptChars + 1), "messages", true },
        { "prompt over the context window", r => r.Messages[0].Content = string.Join(' ', Enumerable.Repeat("why", 1_400)), "messages", true },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_input_names_its_field_and_the_service_keeps_serving(string what, Action<GenerateRequest> spoil, string field, bool tooLarge)
    {
        var request = new Conversation(Question, FeatureSeed: 9, Sampling: Conversation.Greedy(4)).ToProto(llava.Direct);
        spoil(request);
        var message = await RpcAssert.FailsOnFieldAsync(async () =>
        {
            using var call = llava.Client.Generate(request, deadline: DateTime.UtcNow + Eventually.Patience);
            await call.ResponseStream.MoveNext(CancellationToken.None);
        }, StatusCode.InvalidArgument, field, tooLarge);
        Assert.False(string.IsNullOrWhiteSpace(message), what);

        var good = await Streamed.ReadAsync(llava.Client, new Conversation(Question, FeatureSeed: 9, Sampling: Conversation.Greedy(4)).ToProto(llava.Direct));
        Assert.InRange(good.Done.CompletionTokens, 1, 4);
    }
}
