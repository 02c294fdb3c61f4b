using Mustafar.Gateway.Pipeline;
using Mustafar.Tensors;

namespace Mustafar.Gateway.Api;

/// <summary>The checks and parsing both HTTP APIs (OpenAI chat and the form) share when they build the pipeline's
/// <see cref="AnswerSettings"/> from their fields, naming the field at fault.</summary>
public static class HttpAnswerSettings
{
    public const string CacheHeader = "X-Mustafar-Cache";

    public static DiffusionPromptMode ParsePromptMode(string? text, string field) => text?.Trim().ToLowerInvariant() switch
    {
        null or "" => DiffusionPromptMode.Unspecified,
        "question" => DiffusionPromptMode.Question,
        "empty" => DiffusionPromptMode.Empty,
        "custom" => DiffusionPromptMode.Custom,
        _ => throw new InvalidInputException(field, $"'{text}' is not one of question, empty, custom"),
    };

    /// <summary>True when the request asks to skip the cache by header (<c>X-Mustafar-Cache: bypass</c>).</summary>
    public static bool HeaderBypass(Microsoft.AspNetCore.Http.IHeaderDictionary headers) =>
        string.Equals(headers[CacheHeader].ToString().Trim(), "bypass", StringComparison.OrdinalIgnoreCase);

    /// <summary>OpenAI's sampling fields. The generator checks ranges against its model; the gateway refuses only
    /// what can never be valid.</summary>
    /// <param name="seedField">The name of the seed field in the caller's API.</param>
    /// <param name="maxTokensField">The field the caller sent the token limit in (OpenAI has two names for it).</param>
    public static SamplingSettings Sampling(int? maxTokens, float? temperature, float? topP, long? seed, IReadOnlyList<string> stop,
        string seedField = "seed", string maxTokensField = "max_tokens")
    {
        if (maxTokens is < 1) throw new InvalidInputException(maxTokensField, $"{maxTokens} is not a positive number of tokens");
        if (temperature is { } temp && (!float.IsFinite(temp) || temp < 0))
            throw new InvalidInputException("temperature", $"{temp} is not a finite number >= 0");
        if (topP is { } p && !(p > 0 && p <= 1)) throw new InvalidInputException("top_p", $"{p} is not in (0, 1]");
        if (seed is < 0) throw new InvalidInputException(seedField, $"{seed} is negative");
        return new SamplingSettings { MaxNewTokens = maxTokens, Temperature = temperature, TopP = topP, Seed = (ulong?)seed, Stop = stop };
    }
}
