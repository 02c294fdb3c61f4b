using Google.Protobuf;
using Mustafar.Contracts;
using Mustafar.Gateway.Pipeline;
using Mustafar.Contracts.Generation.V1;
using Mustafar.Contracts.Vqa.V1;

namespace Mustafar.Gateway.Tests.Units;

/// <summary>The gRPC API's and the generator's messages cross into the pipeline's records and back without losing a
/// field: what a gRPC client sets reaches the generator as it sent it, and what the generator returns reaches it.</summary>
public sealed class GatewayProtoMappingTests
{
    [Fact]
    public void Every_sampling_field_of_an_Ask_reaches_the_generator_unchanged()
    {
        var sampling = new SamplingParams
        {
            MaxNewTokens = 7, Temperature = 0f, TopP = 0.5f, TopK = 3, Seed = 42, RepetitionPenalty = 1.1f,
            FrequencyPenalty = -0.5f, PresencePenalty = 0.25f, Logprobs = true, TopLogprobs = 0, Stop = { "a", "b" }, LogitBias = { [5] = -100f, [9] = 2f },
        };
        Assert.Equal(sampling, GatewayProtoMapping.ToProto(GatewayProtoMapping.ToDomain(sampling)));
        Assert.Equal(new SamplingParams(), GatewayProtoMapping.ToProto(GatewayProtoMapping.ToDomain(new SamplingParams())));
    }

    [Fact]
    public void Unset_options_stay_unset_and_set_zeros_stay_set()
    {
        var unset = GatewayProtoMapping.ToDomain(new AskOptions());
        Assert.Equal((null, null, null, DiffusionPromptMode.Unspecified), (unset.Diffusion.Timestep, unset.Diffusion.Seed, unset.Diffusion.GuidanceScale, unset.Diffusion.PromptMode));

        var zeros = GatewayProtoMapping.ToDomain(new AskOptions
        {
            Timestep = 0, Seed = 0, GuidanceScale = 0f, PromptMode = PromptMode.Custom, CustomPrompt = "c", DiffusionTap = "t", BypassCache = true,
            Model = "m", SystemPrompt = "s",
        });
        Assert.Equal(new DiffusionChoice { PromptMode = DiffusionPromptMode.Custom, CustomPrompt = "c", Timestep = 0, Seed = 0UL, GuidanceScale = 0f, Tap = "t" },
            zeros.Diffusion);
        Assert.Equal(("m", "s", true), (zeros.Model, zeros.SystemPrompt, zeros.BypassCache));
        var absent = GatewayProtoMapping.ToDomain((AskOptions?)null);
        Assert.Equal(("", "", false, new DiffusionChoice()), (absent.Model, absent.SystemPrompt, absent.BypassCache, absent.Diffusion));
        Assert.Equal(new SamplingParams(), GatewayProtoMapping.ToProto(absent.Sampling));
    }

    [Fact]
    public void A_generator_delta_with_log_probabilities_reaches_a_gRPC_client_unchanged()
    {
        var alternative = new TokenLogprob { TokenId = 4, Token = "b", Bytes = ByteString.CopyFromUtf8("b"), Logprob = -2f };
        var delta = new TextDelta
        {
            Text = "a", CompletionTokens = 3,
            Logprobs = { new TokenLogprob { TokenId = 3, Token = "a", Bytes = ByteString.CopyFromUtf8("a"), Logprob = -0.1f, TopLogprobs = { alternative } } },
        };
        Assert.Equal(new AskResponse { Delta = delta }, GatewayProtoMapping.ToProto(GatewayProtoMapping.ToDomain(delta)));
    }

    [Fact]
    public void A_summary_becomes_the_final_AskResult_with_the_diffusion_settings_only_when_diffusion_was_used()
    {
        var summary = new AnswerSummary
        {
            ImageId = "abc", Model = "m", ClipCache = CacheOutcome.Hit, DiffusionConditionalCache = CacheOutcome.Miss,
            DiffusionUnconditionalCache = CacheOutcome.Bypass, DiffusionPromptTruncated = true,
            Diffusion = new DiffusionConditioning(DiffusionPromptMode.Empty, "", 50, 7, 1.5f, "tap"),
            Timings = new AnswerTimings { DecodeImageMs = 1, ClipMs = 2, DiffusionMs = 3, TimeToFirstTokenMs = 4, GenerateMs = 5, TotalMs = 6 },
            FinishReason = AnswerEnd.ContextFull, PromptTokens = 10, CompletionTokens = 20,
        };
        var expected = new AskResult
        {
            ImageId = "abc", Model = "m", ClipCache = CacheStatus.Hit, DiffusionConditionalCache = CacheStatus.Miss,
            DiffusionUnconditionalCache = CacheStatus.Bypass, DiffusionPromptTruncated = true, PromptMode = PromptMode.Empty, Timestep = 50, Seed = 7,
            GuidanceScale = 1.5f, DiffusionTap = "tap",
            Timings = new StageTimings { DecodeImageMs = 1, ClipMs = 2, DiffusionMs = 3, TimeToFirstTokenMs = 4, GenerateMs = 5, TotalMs = 6 },
            FinishReason = FinishReason.ContextFull, PromptTokens = 10, CompletionTokens = 20,
        };
        Assert.Equal(new AskResponse { Done = expected }, GatewayProtoMapping.ToProto(new AnswerDone(summary)));

        var clipOnly = GatewayProtoMapping.ToProto(summary with { Diffusion = null });
        Assert.Equal((PromptMode.Unspecified, 0, 0UL, 0f, ""), (clipOnly.PromptMode, clipOnly.Timestep, clipOnly.Seed, clipOnly.GuidanceScale, clipOnly.DiffusionTap));
    }

    [Theory]
    [InlineData(FinishReason.Eos)]
    [InlineData(FinishReason.Length)]
    [InlineData(FinishReason.StopString)]
    [InlineData(FinishReason.ContextFull)]
    public void Every_finish_reason_survives_the_round_trip(FinishReason reason)
    {
        var summary = new AnswerSummary { ImageId = "i", Model = "m", FinishReason = GatewayProtoMapping.ToDomain(reason) };
        Assert.Equal(reason, GatewayProtoMapping.ToProto(summary).FinishReason);
    }

    [Fact]
    public void Each_cache_outcome_is_its_own_proto_status_and_goes_by_the_same_name_on_both_APIs()
    {
        var outcomes = Enum.GetValues<CacheOutcome>();
        var statuses = outcomes.Select(GatewayProtoMapping.ToProto).ToList();
        // Every status the gateway can send, once each (never UNSPECIFIED).
        Assert.Equal(Enum.GetValues<CacheStatus>().Where(s => s != CacheStatus.Unspecified).Order(), statuses.Order());
        // The HTTP answers' and metrics' name is what a gRPC client reads off the proto value (the load tool does).
        Assert.Equal(outcomes.Select(o => o.Name()), statuses.Select(s => s.ShortName()));
        Assert.Equal(["not_used", "hit", "miss", "bypass", "error"], outcomes.Select(o => o.Name()));
    }
}
