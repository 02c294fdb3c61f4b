using Mustafar.Generation.V1;
using Mustafar.Tensors;
using Mustafar.Vqa.V1;

namespace Mustafar.Gateway.Api;

/// <summary>Builds the pipeline's options (the gRPC API's <see cref="AskOptions"/>) from the HTTP APIs' fields,
/// checking each and naming the field at fault.</summary>
public static class AskOptionsBuilder
{
    public const string CacheHeader = "X-Mustafar-Cache";

    public static PromptMode ParsePromptMode(string? text, string field) => text?.Trim().ToLowerInvariant() switch
    {
        null or "" => PromptMode.Unspecified,
        "question" => PromptMode.Question,
        "empty" => PromptMode.Empty,
        "custom" => PromptMode.Custom,
        _ => throw new InvalidInputException(field, $"'{text}' is not one of question, empty, custom"),
    };

    /// <summary>True when the request asks to skip the cache by header (<c>X-Mustafar-Cache: bypass</c>).</summary>
    public static bool HeaderBypass(Microsoft.AspNetCore.Http.IHeaderDictionary headers) =>
        string.Equals(headers[CacheHeader].ToString().Trim(), "bypass", StringComparison.OrdinalIgnoreCase);

    public static AskOptions FromMustafar(MustafarOptions? m, string? model, SamplingParams sampling, bool headerBypass, string prefix)
    {
        var options = new AskOptions { Model = model ?? "", Sampling = sampling, BypassCache = headerBypass };
        if (m is null) return options;
        options.PromptMode = ParsePromptMode(m.PromptMode, prefix + "prompt_mode");
        options.CustomPrompt = m.CustomPrompt ?? "";
        if (m.Timestep is { } t) options.Timestep = t;
        if (m.Seed is { } seed) options.Seed = seed;
        if (m.GuidanceScale is { } s) options.GuidanceScale = s;
        options.DiffusionTap = m.DiffusionTap ?? "";
        options.BypassCache |= m.BypassCache == true;
        options.SystemPrompt = m.SystemPrompt ?? "";
        if (m.TopK is { } k) sampling.TopK = k;
        if (m.RepetitionPenalty is { } penalty) sampling.RepetitionPenalty = penalty;
        return options;
    }

    /// <summary>OpenAI's sampling fields. The generator checks ranges against its model; the gateway refuses only
    /// what can never be valid.</summary>
    /// <param name="seedField">The name of the seed field in the caller's API.</param>
    /// <param name="maxTokensField">The field the caller sent the token limit in (OpenAI has two names for it).</param>
    public static SamplingParams Sampling(int? maxTokens, float? temperature, float? topP, long? seed, IEnumerable<string> stop,
        string seedField = "seed", string maxTokensField = "max_tokens")
    {
        var sampling = new SamplingParams();
        if (maxTokens is { } max)
        {
            if (max < 1) throw new InvalidInputException(maxTokensField, $"{max} is not a positive number of tokens");
            sampling.MaxNewTokens = max;
        }
        if (temperature is { } temp)
        {
            if (!float.IsFinite(temp) || temp < 0) throw new InvalidInputException("temperature", $"{temp} is not a finite number >= 0");
            sampling.Temperature = temp;
        }
        if (topP is { } p)
        {
            if (!(p > 0 && p <= 1)) throw new InvalidInputException("top_p", $"{p} is not in (0, 1]");
            sampling.TopP = p;
        }
        if (seed is { } s)
        {
            if (s < 0) throw new InvalidInputException(seedField, $"{s} is negative");
            sampling.Seed = (ulong)s;
        }
        sampling.Stop.AddRange(stop);
        return sampling;
    }

    /// <summary>The conversation of a single question: the optional system line, then the user's question.</summary>
    public static List<ChatMessage> SingleQuestion(string question, string? systemPrompt)
    {
        var messages = new List<ChatMessage>();
        if (!string.IsNullOrEmpty(systemPrompt)) messages.Add(new ChatMessage { Role = Role.System, Content = systemPrompt });
        messages.Add(new ChatMessage { Role = Role.User, Content = question });
        return messages;
    }
}
