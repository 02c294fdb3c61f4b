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
}

/// <summary>
/// Resolved sampling settings. Temperature 0 is greedy (argmax). Otherwise, as transformers applies them: the
/// repetition penalty on the raw logits, then temperature, top-k, top-p, and a draw from the remaining mass with
/// the request's own RNG.
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
