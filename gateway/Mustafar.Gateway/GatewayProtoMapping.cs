using Google.Protobuf;
using Mustafar.Gateway.Pipeline;
using Mustafar.Contracts.Generation.V1;
using Mustafar.Contracts.Vqa.V1;

namespace Mustafar.Gateway;

/// <summary>
/// The gateway's one translation between its own records (<see cref="Pipeline"/>) and protobuf messages: the gRPC
/// API's <c>vqa.v1</c> (AskOptions in, AskResponse out) and the generator's <c>generation.v1</c> (SamplingParams and
/// ChatMessage out, TextDelta and FinishReason in). Every field crosses both ways without loss, so a gRPC client's
/// options reach the generator exactly as it sent them.
/// </summary>
public static class GatewayProtoMapping
{
    // ---- gRPC Ask in ----

    /// <summary>A gRPC request's options (absent: all defaults). Its prompt mode is a known value (the edge checks).</summary>
    public static AnswerSettings ToDomain(AskOptions? options) => options is null ? new AnswerSettings() : new AnswerSettings
    {
        Model = options.Model,
        Sampling = ToDomain(options.Sampling),
        Diffusion = new DiffusionChoice
        {
            PromptMode = ToDomain(options.PromptMode),
            CustomPrompt = options.CustomPrompt,
            Timestep = options.HasTimestep ? options.Timestep : null,
            Seed = options.HasSeed ? options.Seed : null,
            GuidanceScale = options.HasGuidanceScale ? options.GuidanceScale : null,
            Tap = options.DiffusionTap,
        },
        BypassCache = options.BypassCache,
        SystemPrompt = options.SystemPrompt,
    };

    public static DiffusionPromptMode ToDomain(PromptMode mode) => mode switch
    {
        PromptMode.Question => DiffusionPromptMode.Question,
        PromptMode.Empty => DiffusionPromptMode.Empty,
        PromptMode.Custom => DiffusionPromptMode.Custom,
        _ => DiffusionPromptMode.Unspecified,
    };

    public static SamplingSettings ToDomain(SamplingParams? sampling) => sampling is null ? new SamplingSettings() : new SamplingSettings
    {
        MaxNewTokens = sampling.HasMaxNewTokens ? sampling.MaxNewTokens : null,
        Temperature = sampling.HasTemperature ? sampling.Temperature : null,
        TopP = sampling.HasTopP ? sampling.TopP : null,
        TopK = sampling.HasTopK ? sampling.TopK : null,
        Seed = sampling.HasSeed ? sampling.Seed : null,
        Stop = [.. sampling.Stop],
        RepetitionPenalty = sampling.HasRepetitionPenalty ? sampling.RepetitionPenalty : null,
        FrequencyPenalty = sampling.HasFrequencyPenalty ? sampling.FrequencyPenalty : null,
        PresencePenalty = sampling.HasPresencePenalty ? sampling.PresencePenalty : null,
        LogitBias = new Dictionary<int, float>(sampling.LogitBias),
        Logprobs = sampling.Logprobs,
        TopLogprobs = sampling.HasTopLogprobs ? sampling.TopLogprobs : null,
    };

    // ---- to the generator ----

    public static SamplingParams ToProto(SamplingSettings settings)
    {
        var sampling = new SamplingParams { Logprobs = settings.Logprobs };
        if (settings.MaxNewTokens is { } max) sampling.MaxNewTokens = max;
        if (settings.Temperature is { } temperature) sampling.Temperature = temperature;
        if (settings.TopP is { } topP) sampling.TopP = topP;
        if (settings.TopK is { } topK) sampling.TopK = topK;
        if (settings.Seed is { } seed) sampling.Seed = seed;
        sampling.Stop.AddRange(settings.Stop);
        if (settings.RepetitionPenalty is { } repetition) sampling.RepetitionPenalty = repetition;
        if (settings.FrequencyPenalty is { } frequency) sampling.FrequencyPenalty = frequency;
        if (settings.PresencePenalty is { } presence) sampling.PresencePenalty = presence;
        foreach (var (id, bias) in settings.LogitBias) sampling.LogitBias[id] = bias;
        if (settings.TopLogprobs is { } top) sampling.TopLogprobs = top;
        return sampling;
    }

    public static ChatMessage ToProto(ConversationTurn turn) => new()
    {
        Role = turn.Speaker switch
        {
            Speaker.System => Role.System,
            Speaker.Assistant => Role.Assistant,
            _ => Role.User,
        },
        Content = turn.Text,
    };

    // ---- from the generator ----

    public static AnswerDelta ToDomain(TextDelta delta) =>
        new(delta.Text, delta.CompletionTokens, [.. delta.Logprobs.Select(ToDomain)]);

    public static AnswerEnd ToDomain(FinishReason reason) => reason switch
    {
        FinishReason.Eos => AnswerEnd.EndOfSequence,
        FinishReason.Length => AnswerEnd.Length,
        FinishReason.StopString => AnswerEnd.StopString,
        FinishReason.ContextFull => AnswerEnd.ContextFull,
        _ => AnswerEnd.Unspecified,
    };

    private static TokenLogProbability ToDomain(TokenLogprob token) =>
        new(token.TokenId, token.Token, token.Bytes.Memory, token.Logprob, [.. token.TopLogprobs.Select(ToDomain)]);

    // ---- gRPC Ask out ----

    public static AskResponse ToProto(AnswerEvent answer) => answer switch
    {
        AnswerDelta delta => new AskResponse { Delta = ToProto(delta) },
        AnswerDone done => new AskResponse { Done = ToProto(done.Summary) },
        _ => throw new ArgumentOutOfRangeException(nameof(answer), answer.GetType().Name, "not an answer event"),
    };

    public static AskResult ToProto(AnswerSummary summary)
    {
        var result = new AskResult
        {
            FinishReason = ToProto(summary.FinishReason),
            PromptTokens = summary.PromptTokens,
            CompletionTokens = summary.CompletionTokens,
            ImageId = summary.ImageId,
            ClipCache = ToProto(summary.ClipCache),
            DiffusionConditionalCache = ToProto(summary.DiffusionConditionalCache),
            DiffusionUnconditionalCache = ToProto(summary.DiffusionUnconditionalCache),
            Timings = ToProto(summary.Timings),
            Model = summary.Model,
            DiffusionPromptTruncated = summary.DiffusionPromptTruncated,
        };
        if (summary.Diffusion is { } diffusion)
        {
            result.PromptMode = ToProto(diffusion.PromptMode);
            result.Timestep = diffusion.Timestep;
            result.Seed = diffusion.Seed;
            result.GuidanceScale = diffusion.GuidanceScale;
            result.DiffusionTap = diffusion.Tap;
        }
        return result;
    }

    public static PromptMode ToProto(DiffusionPromptMode mode) => mode switch
    {
        DiffusionPromptMode.Question => PromptMode.Question,
        DiffusionPromptMode.Empty => PromptMode.Empty,
        DiffusionPromptMode.Custom => PromptMode.Custom,
        _ => PromptMode.Unspecified,
    };

    public static CacheStatus ToProto(CacheOutcome outcome) => outcome switch
    {
        CacheOutcome.Hit => CacheStatus.Hit,
        CacheOutcome.Miss => CacheStatus.Miss,
        CacheOutcome.Bypass => CacheStatus.Bypass,
        CacheOutcome.Error => CacheStatus.Error,
        _ => CacheStatus.NotUsed,
    };

    private static TextDelta ToProto(AnswerDelta delta)
    {
        var message = new TextDelta { Text = delta.Text, CompletionTokens = delta.CompletionTokens };
        message.Logprobs.AddRange(delta.Logprobs.Select(ToProto));
        return message;
    }

    private static TokenLogprob ToProto(TokenLogProbability token)
    {
        var message = new TokenLogprob { TokenId = token.TokenId, Token = token.Token, Bytes = ByteString.CopyFrom(token.Bytes.Span), Logprob = token.Logprob };
        message.TopLogprobs.AddRange(token.Alternatives.Select(ToProto));
        return message;
    }

    private static FinishReason ToProto(AnswerEnd reason) => reason switch
    {
        AnswerEnd.EndOfSequence => FinishReason.Eos,
        AnswerEnd.Length => FinishReason.Length,
        AnswerEnd.StopString => FinishReason.StopString,
        AnswerEnd.ContextFull => FinishReason.ContextFull,
        _ => FinishReason.Unspecified,
    };

    private static StageTimings ToProto(AnswerTimings timings) => new()
    {
        DecodeImageMs = timings.DecodeImageMs,
        ClipMs = timings.ClipMs,
        DiffusionMs = timings.DiffusionMs,
        TimeToFirstTokenMs = timings.TimeToFirstTokenMs,
        GenerateMs = timings.GenerateMs,
        TotalMs = timings.TotalMs,
    };
}
