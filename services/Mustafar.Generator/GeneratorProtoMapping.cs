using Google.Protobuf;
using Mustafar.Contracts.Generation.V1;
using Mustafar.Models.Fusion;
using Mustafar.Models.Generation;
using Mustafar.Serving;
using Mustafar.Tensors;
using Mustafar.Torch;

namespace Mustafar.Generator;

/// <summary>
/// The generator host's one translation between <c>generation.v1</c> messages and the generation model's types
/// (conversation turns, sampling and fusion kind in; text steps, outcomes and the model's description out), as
/// GatewayProtoMapping is the gateway's. A request field is checked here, the error naming it; unset sampling
/// fields stay unset, so the model's defaults apply.
/// </summary>
public static class GeneratorProtoMapping
{
    // ---- requests in ----

    /// <summary>The conversation, each role a known one (messages[i].role names a bad one).</summary>
    public static List<ConversationTurn> ToDomain(IEnumerable<ChatMessage> messages) =>
        messages.Select((message, i) => new ConversationTurn(
            RequestChecks.Known(message.Role, $"messages[{i}].role") switch
            {
                Role.System => ChatRole.System,
                Role.User => ChatRole.User,
                Role.Assistant => ChatRole.Assistant,
                _ => throw new InvalidInputException($"messages[{i}].role", "is unspecified; use ROLE_SYSTEM, ROLE_USER or ROLE_ASSISTANT"),
            },
            message.Content)).ToList();

    /// <summary>The proto's sampling fields as the model takes them: unset stays unset (the model's default).</summary>
    public static SamplingRequest? ToDomain(SamplingParams? sampling) => sampling is null ? null : new SamplingRequest
    {
        MaxNewTokens = sampling.HasMaxNewTokens ? sampling.MaxNewTokens : null,
        Temperature = sampling.HasTemperature ? sampling.Temperature : null,
        TopP = sampling.HasTopP ? sampling.TopP : null,
        TopK = sampling.HasTopK ? sampling.TopK : null,
        Seed = sampling.HasSeed ? sampling.Seed : null,
        Stop = sampling.Stop.Count > 0 ? [.. sampling.Stop] : null,
        RepetitionPenalty = sampling.HasRepetitionPenalty ? sampling.RepetitionPenalty : null,
        FrequencyPenalty = sampling.HasFrequencyPenalty ? sampling.FrequencyPenalty : null,
        PresencePenalty = sampling.HasPresencePenalty ? sampling.PresencePenalty : null,
        LogitBias = sampling.LogitBias.Count > 0 ? new Dictionary<int, float>(sampling.LogitBias) : null,
        Logprobs = sampling.Logprobs ? true : null,
        TopLogprobs = sampling.HasTopLogprobs ? sampling.TopLogprobs : null,
    };

    /// <summary>The fusion the caller expects the checkpoint to have; unset: whatever it has.</summary>
    public static FusionKind? ToDomain(FusionMode mode) => RequestChecks.Known(mode, "fusion_mode") switch
    {
        FusionMode.ClipOnly => FusionKind.ClipOnly,
        FusionMode.ConcatTokens => FusionKind.ConcatTokens,
        FusionMode.ConcatChannels => FusionKind.ConcatChannels,
        FusionMode.CrossAttention => FusionKind.CrossAttention,
        _ => null,
    };

    // ---- responses out ----

    /// <summary>One step's text and, with logprobs asked for, its sampled token's.</summary>
    public static TextDelta ToProto(GenerationStep step)
    {
        var delta = new TextDelta { Text = step.Delta, CompletionTokens = step.CompletionTokens };
        if (step.Logprob is { } logprob) delta.Logprobs.Add(ToProto(logprob));
        return delta;
    }

    public static TokenLogprob ToProto(TokenLikelihood token)
    {
        var result = new TokenLogprob { TokenId = token.Id, Token = token.Token, Bytes = ByteString.CopyFrom(token.Bytes), Logprob = token.Logprob };
        result.TopLogprobs.Add(token.Top.Select(ToProto));
        return result;
    }

    /// <summary>How a sequence ended. A cancelled one has no wire value: the call ends with CANCELLED instead.</summary>
    public static GenerationResult ToProto(GenerationOutcome outcome, double queueMs) => new()
    {
        FinishReason = outcome.Reason switch
        {
            StopReason.Eos => FinishReason.Eos,
            StopReason.Length => FinishReason.Length,
            StopReason.StopString => FinishReason.StopString,
            StopReason.ContextFull => FinishReason.ContextFull,
            _ => throw new InvalidOperationException($"finish reason {outcome.Reason} has no wire value"),
        },
        PromptTokens = outcome.PromptTokens,
        CompletionTokens = outcome.CompletionTokens,
        ImageTokens = outcome.ImageTokens,
        QueueMs = queueMs,
        PrefillMs = outcome.PrefillMs,
        DecodeMs = outcome.DecodeMs,
        StopString = outcome.StopString ?? "",
    };

    public static ModelInfo ToProto(GeneratorModelInfo info)
    {
        var result = new ModelInfo
        {
            ModelId = info.ModelId,
            FusionMode = info.FusionMode is { } mode ? ToProto(mode) : FusionMode.Unspecified,
            ImageTokens = info.ImageTokens,
            ContextLength = info.ContextLength,
            VocabSize = info.VocabSize,
            MaxNewTokensLimit = info.MaxNewTokensLimit,
            ConversationTemplate = info.ConversationTemplate,
            ComputeDtype = TorchDTypes.ToDType(info.ComputeDType),
            Device = info.Device,
            MaxBatchSize = info.MaxBatchSize,
            DefaultSampling = ToProto(info.DefaultSampling),
        };
        if (info.FusionMode is { } supported) result.SupportedFusionModes.Add(ToProto(supported));
        result.ExpectedFeatures.Add(info.ExpectedFeatures.Select(ToProto));
        return result;
    }

    public static FeatureSpec ToProto(VisualFeatureSpec spec)
    {
        var result = new FeatureSpec
        {
            Name = spec.Name,
            Source = spec.Source == VisualFeatureSource.Clip ? FeatureSource.Clip : FeatureSource.Diffusion,
            Tokens = spec.Tokens,
            Channels = spec.Channels,
            GridHeight = spec.GridHeight,
            GridWidth = spec.GridWidth,
            ClipSelectLayer = spec.ClipSelectLayer,
            ClipKeepCls = spec.ClipKeepCls,
            DiffusionTap = spec.DiffusionTap ?? "",
            DiffusionPromptMode = spec.DiffusionPrompt ?? "",
        };
        if (spec.DiffusionTimestep is { } timestep) result.DiffusionTimestep = timestep;
        if (spec.DiffusionGuidanceScale is { } scale) result.DiffusionGuidanceScale = (float)scale;
        return result;
    }

    /// <summary>The defaults of unset sampling fields; the seed is drawn per request, so it is left unset.</summary>
    public static SamplingParams ToProto(SamplingParameters defaults)
    {
        var result = new SamplingParams
        {
            MaxNewTokens = defaults.MaxNewTokens,
            Temperature = defaults.Temperature,
            TopP = defaults.TopP,
            TopK = defaults.TopK,
            RepetitionPenalty = defaults.RepetitionPenalty,
            FrequencyPenalty = defaults.FrequencyPenalty,
            PresencePenalty = defaults.PresencePenalty,
            Logprobs = defaults.Logprobs,
            TopLogprobs = defaults.TopLogprobs,
        };
        result.Stop.Add(defaults.Stop);
        foreach (var (id, bias) in defaults.LogitBias) result.LogitBias[id] = bias;
        return result;
    }

    public static FusionMode ToProto(FusionKind kind) => kind switch
    {
        FusionKind.ClipOnly => FusionMode.ClipOnly,
        FusionKind.ConcatTokens => FusionMode.ConcatTokens,
        FusionKind.ConcatChannels => FusionMode.ConcatChannels,
        FusionKind.CrossAttention => FusionMode.CrossAttention,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "no wire value"),
    };
}
