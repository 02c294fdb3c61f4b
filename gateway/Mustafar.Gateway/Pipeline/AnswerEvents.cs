using Mustafar.Contracts.Vqa.V1;

namespace Mustafar.Gateway.Pipeline;

/// <summary>Why the generation ended.</summary>
public enum AnswerEnd
{
    Unspecified,
    /// <summary>The model's end-of-sequence token.</summary>
    EndOfSequence,
    /// <summary>The token limit the request set.</summary>
    Length,
    /// <summary>One of the request's stop strings.</summary>
    StopString,
    /// <summary>The model's context window is full.</summary>
    ContextFull,
}

/// <summary>A token's log-probability; for a sampled token also the most likely alternatives at its step.</summary>
public sealed record TokenLogProbability(int TokenId, string Token, ReadOnlyMemory<byte> Bytes, float Logprob,
    IReadOnlyList<TokenLogProbability> Alternatives);

/// <summary>Milliseconds spent in each stage, as the gateway measured them.</summary>
public sealed record AnswerTimings
{
    public double DecodeImageMs { get; init; }
    /// <summary>Getting the CLIP features (cache or encoder).</summary>
    public double ClipMs { get; init; }
    /// <summary>Getting the diffusion features; runs in parallel with <see cref="ClipMs"/>.</summary>
    public double DiffusionMs { get; init; }
    /// <summary>From receiving the request to the first delta.</summary>
    public double TimeToFirstTokenMs { get; init; }
    /// <summary>From sending the generation request to its last message.</summary>
    public double GenerateMs { get; init; }
    public double TotalMs { get; init; }
}

/// <summary>What the pipeline knows about an answer: before the first token the image, model, cache statuses,
/// diffusion settings and timings so far; at the end also why it ended and the token counts.</summary>
public sealed record AnswerSummary
{
    /// <summary>Lowercase hex SHA-256 of the image bytes.</summary>
    public required string ImageId { get; init; }
    /// <summary>The model name clients see.</summary>
    public required string Model { get; init; }
    public CacheOutcome ClipCache { get; init; } = CacheOutcome.NotUsed;
    public CacheOutcome DiffusionConditionalCache { get; init; } = CacheOutcome.NotUsed;
    public CacheOutcome DiffusionUnconditionalCache { get; init; } = CacheOutcome.NotUsed;
    public AnswerTimings Timings { get; init; } = new();

    /// <summary>The diffusion conditioning used; null for a model without diffusion features.</summary>
    public DiffusionConditioning? Diffusion { get; init; }

    /// <summary>The diffusion prompt was longer than the text encoder's context and only its start was used.</summary>
    public bool DiffusionPromptTruncated { get; init; }

    public AnswerEnd FinishReason { get; init; }
    /// <summary>Token counts, visual tokens included in the prompt.</summary>
    public int PromptTokens { get; init; }
    public int CompletionTokens { get; init; }
}

/// <summary>One event of an answer's stream: deltas, then exactly one <see cref="AnswerDone"/>.</summary>
public abstract record AnswerEvent;

/// <summary>More text, with the completion's token count so far and, when asked for, the tokens' log-probabilities.</summary>
public sealed record AnswerDelta(string Text, int CompletionTokens, IReadOnlyList<TokenLogProbability> Logprobs) : AnswerEvent;

/// <summary>The end of the answer.</summary>
public sealed record AnswerDone(AnswerSummary Summary) : AnswerEvent;
