namespace Mustafar.Models.Generation;

/// <summary>Why generation ended.</summary>
public enum StopReason
{
    /// <summary>The model emitted an end-of-sequence token.</summary>
    Eos,
    /// <summary>max_new_tokens was reached.</summary>
    Length,
    /// <summary>A stop string was produced (it is not part of the output).</summary>
    StopString,
    /// <summary>The context window is full.</summary>
    ContextFull,
    /// <summary>The request's cancellation token fired.</summary>
    Cancelled,
}

/// <summary>The end of one sequence.</summary>
public sealed record GenerationOutcome(
    StopReason Reason,
    int PromptTokens,
    int CompletionTokens,
    int ImageTokens,
    double PrefillMs,
    double DecodeMs,
    string? StopString);

/// <summary>What a step produced for one sequence: new text (whole characters, possibly empty) and, on its last
/// event, the result. Deltas concatenate to the answer. With logprobs asked for, the step's sampled token's
/// <see cref="Logprob"/> (none for the end-of-sequence token, which is not part of the answer).</summary>
public sealed record GenerationEvent(PreparedGeneration Sequence, string Delta, int CompletionTokens, GenerationOutcome? Result)
{
    public bool IsFinal => Result is not null;
    public TokenLikelihood? Logprob { get; init; }
}
