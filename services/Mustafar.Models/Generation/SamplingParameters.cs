using Mustafar.Tensors;

namespace Mustafar.Models.Generation;

/// <summary>A request's sampling fields as sent: every one optional (null takes the model's default).</summary>
public sealed record SamplingRequest
{
    public int? MaxNewTokens { get; init; }
    public float? Temperature { get; init; }
    public float? TopP { get; init; }
    public int? TopK { get; init; }
    public ulong? Seed { get; init; }
    public IReadOnlyList<string>? Stop { get; init; }
    public float? RepetitionPenalty { get; init; }
    public float? FrequencyPenalty { get; init; }
    public float? PresencePenalty { get; init; }
    /// <summary>Token id to a bias added to its logit.</summary>
    public IReadOnlyDictionary<int, float>? LogitBias { get; init; }
    public bool? Logprobs { get; init; }
    public int? TopLogprobs { get; init; }
}

/// <summary>
/// Resolved sampling settings, applied in vLLM's order: the logit bias on the raw logits, the repetition penalty
/// (transformers' formula, over prompt and output), the frequency and presence penalties (OpenAI's formula, over
/// the output), then greedy argmax when the temperature is 0, else temperature, top-k, top-p and a draw from the
/// remaining mass with the request's own RNG. Log-probabilities, when asked for, are those of the raw logits.
/// </summary>
public sealed record SamplingParameters
{
    public const int MaxStopStrings = 8;
    public const int MaxStopLength = 64;
    public const float MaxTemperature = 100f;
    public const float MaxRepetitionPenalty = 10f;

    public int MaxNewTokens { get; init; } = 512;
    public float Temperature { get; init; }
    public float TopP { get; init; } = 1f;
    public int TopK { get; init; }
    public ulong Seed { get; init; }
    public IReadOnlyList<string> Stop { get; init; } = [];
    public float RepetitionPenalty { get; init; } = 1f;
    public float FrequencyPenalty { get; init; }
    public float PresencePenalty { get; init; }
    public IReadOnlyDictionary<int, float> LogitBias { get; init; } = new Dictionary<int, float>();
    public bool Logprobs { get; init; }
    public int TopLogprobs { get; init; }

    public bool Greedy => Temperature == 0f;

    /// <summary>Applies <paramref name="request"/> over <paramref name="defaults"/> and validates the result; a bad
    /// field is an <see cref="InvalidInputException"/> naming it (sampling.top_p, ...). An unset seed draws a random one.</summary>
    public static SamplingParameters Resolve(SamplingRequest? request, SamplingParameters defaults, int vocabSize, int maxNewTokensLimit)
    {
        request ??= new SamplingRequest();
        var result = defaults with
        {
            MaxNewTokens = request.MaxNewTokens ?? Math.Min(defaults.MaxNewTokens, maxNewTokensLimit),
            Temperature = request.Temperature ?? defaults.Temperature,
            TopP = request.TopP ?? defaults.TopP,
            TopK = request.TopK ?? defaults.TopK,
            Seed = request.Seed ?? (ulong)Random.Shared.NextInt64(long.MinValue, long.MaxValue),
            Stop = request.Stop ?? defaults.Stop,
            RepetitionPenalty = request.RepetitionPenalty ?? defaults.RepetitionPenalty,
            FrequencyPenalty = request.FrequencyPenalty ?? defaults.FrequencyPenalty,
            PresencePenalty = request.PresencePenalty ?? defaults.PresencePenalty,
            LogitBias = request.LogitBias ?? defaults.LogitBias,
            Logprobs = request.Logprobs ?? defaults.Logprobs,
            TopLogprobs = request.TopLogprobs ?? defaults.TopLogprobs,
        };
        result.Validate(vocabSize, maxNewTokensLimit);
        return result;
    }

    public void Validate(int vocabSize, int maxNewTokensLimit)
    {
        if (MaxNewTokens < 1 || MaxNewTokens > maxNewTokensLimit)
            throw new InvalidInputException("sampling.max_new_tokens", $"{MaxNewTokens} is outside 1..{maxNewTokensLimit}");
        if (float.IsNaN(Temperature) || Temperature < 0 || Temperature > MaxTemperature)
            throw new InvalidInputException("sampling.temperature", $"{Temperature} is outside 0 (greedy) .. {MaxTemperature}");
        if (float.IsNaN(TopP) || TopP <= 0 || TopP > 1)
            throw new InvalidInputException("sampling.top_p", $"{TopP} is outside (0, 1]");
        if (TopK < 0 || TopK > vocabSize)
            throw new InvalidInputException("sampling.top_k", $"{TopK} is outside 0 (off) .. {vocabSize} (the vocabulary)");
        if (float.IsNaN(RepetitionPenalty) || RepetitionPenalty <= 0 || RepetitionPenalty > MaxRepetitionPenalty)
            throw new InvalidInputException("sampling.repetition_penalty", $"{RepetitionPenalty} is outside (0, {MaxRepetitionPenalty}]");
        SamplingBounds.CheckPenalty(FrequencyPenalty, "sampling.frequency_penalty");
        SamplingBounds.CheckPenalty(PresencePenalty, "sampling.presence_penalty");
        SamplingBounds.CheckLogitBiasCount(LogitBias.Count, "sampling.logit_bias");
        foreach (var (id, bias) in LogitBias)
        {
            if (id < 0 || id >= vocabSize)
                throw new InvalidInputException($"sampling.logit_bias[{id}]", $"token id {id} is outside 0..{vocabSize - 1} (the vocabulary)");
            SamplingBounds.CheckLogitBias(bias, $"sampling.logit_bias[{id}]");
        }
        SamplingBounds.CheckTopLogprobs(TopLogprobs, Logprobs, "sampling.top_logprobs");
        if (Stop.Count > MaxStopStrings)
            throw new InvalidInputException("sampling.stop", $"{Stop.Count} stop strings, at most {MaxStopStrings}");
        for (var i = 0; i < Stop.Count; i++)
        {
            var stop = Stop[i];
            if (string.IsNullOrEmpty(stop) || stop.Length > MaxStopLength)
                throw new InvalidInputException($"sampling.stop[{i}]", $"must be 1..{MaxStopLength} characters");
            if (!IsWellFormed(stop))
                throw new InvalidInputException($"sampling.stop[{i}]", "is not well-formed UTF-16 (a lone surrogate)");
        }
    }

    private static bool IsWellFormed(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
            else if (char.IsSurrogate(text[i])) return false;
        }
        return true;
    }
}
