using System.Text.Json;
using Mustafar.Gateway.Pipeline;
using Mustafar.Tensors;
using Mustafar.Gateway.Api.OpenAi;

namespace Mustafar.Gateway.Api;

/// <summary>An OpenAI chat request's choices in the pipeline's terms: OpenAI's sampling fields, then the "mustafar"
/// extension object (diffusion conditioning, cache bypass, top_k and repetition_penalty), each checked and named as
/// the client sent it.</summary>
public static class ChatSettings
{
    public static AnswerSettings From(ChatCompletionRequest request, bool headerBypass)
    {
        var sampling = HttpAnswerSettings.Sampling(request.MaxCompletionTokens ?? request.MaxTokens, request.Temperature, request.TopP,
            request.Seed, ReadStop(request.Stop), maxTokensField: request.MaxCompletionTokens is not null ? "max_completion_tokens" : "max_tokens");
        sampling = ChatSamplingFields.Apply(request, sampling);
        if (request.Mustafar is not { } m) return new AnswerSettings { Model = request.Model ?? "", Sampling = sampling, BypassCache = headerBypass };
        return new AnswerSettings
        {
            Model = request.Model ?? "",
            Sampling = sampling with { TopK = m.TopK, RepetitionPenalty = m.RepetitionPenalty },
            Diffusion = new DiffusionChoice
            {
                PromptMode = HttpAnswerSettings.ParsePromptMode(m.PromptMode, "mustafar.prompt_mode"),
                CustomPrompt = m.CustomPrompt ?? "",
                Timestep = m.Timestep,
                Seed = m.Seed,
                GuidanceScale = m.GuidanceScale,
                Tap = m.DiffusionTap ?? "",
            },
            BypassCache = headerBypass || m.BypassCache == true,
            SystemPrompt = m.SystemPrompt ?? "",
        };
    }

    private static List<string> ReadStop(JsonElement stop) => stop.ValueKind switch
    {
        JsonValueKind.Undefined or JsonValueKind.Null => [],
        JsonValueKind.String => [JsonInput.Text(stop, "stop")],
        JsonValueKind.Array when stop.EnumerateArray().All(s => s.ValueKind == JsonValueKind.String) =>
            stop.EnumerateArray().Select((s, i) => JsonInput.Text(s, $"stop[{i}]")).ToList(),
        _ => throw new InvalidInputException("stop", "must be a string or an array of strings"),
    };
}
