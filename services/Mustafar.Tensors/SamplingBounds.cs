namespace Mustafar.Tensors;

/// <summary>
/// OpenAI's ranges for the sampling fields it defines, in the library both the gateway (which refuses a request
/// before any encoder runs) and the generator (which checks every request, whoever sends it) use.
/// </summary>
public static class SamplingBounds
{
    /// <summary>frequency_penalty and presence_penalty lie in -2..2.</summary>
    public const float MaxPenaltyMagnitude = 2f;
    /// <summary>A logit_bias value lies in -100..100 ...</summary>
    public const float MaxLogitBias = 100f;
    /// <summary>... for at most 300 tokens.</summary>
    public const int MaxLogitBiasEntries = 300;
    /// <summary>top_logprobs lies in 0..20.</summary>
    public const int MaxTopLogprobs = 20;

    /// <exception cref="InvalidInputException">A NaN or a penalty outside -2..2, naming <paramref name="field"/>.</exception>
    public static float CheckPenalty(float value, string field) =>
        Math.Abs(value) <= MaxPenaltyMagnitude ? value : throw new InvalidInputException(field, $"{value} is outside -{MaxPenaltyMagnitude}..{MaxPenaltyMagnitude}");

    /// <exception cref="InvalidInputException">A NaN or a bias outside -100..100, naming <paramref name="field"/>.</exception>
    public static float CheckLogitBias(float value, string field) =>
        Math.Abs(value) <= MaxLogitBias ? value : throw new InvalidInputException(field, $"{value} is outside -{MaxLogitBias}..{MaxLogitBias}");

    /// <exception cref="InvalidInputException">More than 300 entries, naming <paramref name="field"/>.</exception>
    public static void CheckLogitBiasCount(int count, string field)
    {
        if (count > MaxLogitBiasEntries) throw new InvalidInputException(field, $"{count} entries, at most {MaxLogitBiasEntries}");
    }

    /// <exception cref="InvalidInputException">Outside 0..20, or alternatives without logprobs, naming <paramref name="field"/>.</exception>
    public static void CheckTopLogprobs(int topLogprobs, bool logprobs, string field)
    {
        if (topLogprobs is < 0 or > MaxTopLogprobs) throw new InvalidInputException(field, $"{topLogprobs} is outside 0..{MaxTopLogprobs}");
        if (topLogprobs > 0 && !logprobs) throw new InvalidInputException(field, "needs logprobs to be true");
    }
}
