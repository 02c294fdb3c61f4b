using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace Mustafar.Eval.Clients;

/// <summary>POST /v1/vqa: the image as a multipart file, every option as a form field.</summary>
public sealed class VqaFormClient(EvalTarget target) : IAnswerClient
{
    private readonly HttpClient _http = HttpAnswers.CreateClient(target);

    public async Task<string> AskAsync(byte[] image, string question, AskSettings settings, CancellationToken cancellationToken)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(image);
        file.Headers.ContentType = new MediaTypeHeaderValue(ImageMime.Of(image));
        form.Add(file, "image", "image");
        foreach (var (name, value) in Fields(question, settings)) form.Add(new StringContent(value), name);
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/vqa") { Content = form };
        var answer = JsonNode.Parse(await HttpAnswers.SendAsync(_http, request, cancellationToken));
        return answer?["answer"]?.GetValue<string>() ?? throw new AnswerException("the gateway's answer has no \"answer\"", transient: false);
    }

    public static IEnumerable<(string Name, string Value)> Fields(string question, AskSettings settings)
    {
        static string Text(IFormattable value) => value.ToString(null, CultureInfo.InvariantCulture);
        yield return ("question", question);
        yield return ("max_tokens", Text(settings.MaxTokens));
        yield return ("temperature", Text(settings.Temperature));
        if (settings.TopP is { } topP) yield return ("top_p", Text(topP));
        if (settings.SamplingSeed is { } seed) yield return ("sampling_seed", Text(seed));
        if (settings.Model is { } model) yield return ("model", model);
        if (settings.PromptMode is { } mode) yield return ("prompt_mode", mode);
        if (settings.CustomPrompt is { } prompt) yield return ("custom_prompt", prompt);
        if (settings.Timestep is { } timestep) yield return ("timestep", Text(timestep));
        if (settings.DiffusionSeed is { } diffusionSeed) yield return ("seed", Text(diffusionSeed));
        if (settings.GuidanceScale is { } guidance) yield return ("guidance_scale", Text(guidance));
        if (settings.DiffusionTap is { } tap) yield return ("diffusion_tap", tap);
        if (settings.BypassCache) yield return ("bypass_cache", "true");
        if (settings.SystemPrompt is { } system) yield return ("system_prompt", system);
    }

    public void Dispose() => _http.Dispose();
}
