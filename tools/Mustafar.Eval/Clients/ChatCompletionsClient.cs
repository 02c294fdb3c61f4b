using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Mustafar.Eval.Clients;

/// <summary>POST /v1/chat/completions (not streamed): the image as a base64 data URL before the question, the
/// diffusion options in the "mustafar" extension object.</summary>
public sealed class ChatCompletionsClient(EvalTarget target) : IAnswerClient
{
    private readonly HttpClient _http = HttpAnswers.CreateClient(target);

    public async Task<string> AskAsync(byte[] image, string question, AskSettings settings, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = JsonContent.Create(Body(image, question, settings)) };
        var answer = JsonNode.Parse(await HttpAnswers.SendAsync(_http, request, cancellationToken));
        return answer?["choices"]?[0]?["message"]?["content"]?.GetValue<string>()
            ?? throw new AnswerException("the gateway's answer has no choices[0].message.content", transient: false);
    }

    public static JsonObject Body(byte[] image, string question, AskSettings settings)
    {
        var body = new JsonObject
        {
            ["model"] = settings.Model ?? "",
            ["stream"] = false,
            ["max_tokens"] = settings.MaxTokens,
            ["temperature"] = settings.Temperature,
            ["messages"] = new JsonArray(new JsonObject
            {
                ["role"] = "user",
                ["content"] = new JsonArray(
                    new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = $"data:{ImageMime.Of(image)};base64,{Convert.ToBase64String(image)}" } },
                    new JsonObject { ["type"] = "text", ["text"] = question }),
            }),
        };
        if (settings.TopP is { } topP) body["top_p"] = topP;
        if (settings.SamplingSeed is { } seed) body["seed"] = seed;
        var mustafar = new JsonObject();
        if (settings.PromptMode is { } mode) mustafar["prompt_mode"] = mode;
        if (settings.CustomPrompt is { } prompt) mustafar["custom_prompt"] = prompt;
        if (settings.Timestep is { } timestep) mustafar["timestep"] = timestep;
        if (settings.DiffusionSeed is { } diffusionSeed) mustafar["seed"] = diffusionSeed;
        if (settings.GuidanceScale is { } guidance) mustafar["guidance_scale"] = guidance;
        if (settings.DiffusionTap is { } tap) mustafar["diffusion_tap"] = tap;
        if (settings.BypassCache) mustafar["bypass_cache"] = true;
        if (settings.SystemPrompt is { } system) mustafar["system_prompt"] = system;
        if (mustafar.Count > 0) body["mustafar"] = mustafar;
        return body;
    }

    public void Dispose() => _http.Dispose();
}
