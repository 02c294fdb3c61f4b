namespace Mustafar.Gateway.Api;

/// <summary>
/// How one API names the fields of its request. The pipeline and the services report bad input against their own
/// field names ("image" and "prompt" for the encoders, "messages" and "sampling.top_p" for the generator,
/// "timestep" for the diffusion options); an API translates them so that the error names what its caller sent
/// ("messages[0].content[1].image_url", "top_p", "mustafar.timestep", "options.sampling.top_p"). Names it does not
/// know pass unchanged.
/// </summary>
public sealed class RequestFields
{
    /// <summary>The diffusion options the pipeline checks, named as in <c>AskOptions</c>.</summary>
    private static readonly string[] DiffusionOptions = ["prompt_mode", "custom_prompt", "timestep", "seed", "guidance_scale", "diffusion_tap"];

    private readonly Dictionary<string, string> _names;
    private readonly string? _samplingPrefix;

    private RequestFields(Dictionary<string, string> names, string? samplingPrefix)
    {
        _names = names;
        _samplingPrefix = samplingPrefix;
    }

    public string? Translate(string? field)
    {
        if (field is null) return null;
        if (_names.TryGetValue(field, out var name)) return name;
        if (!field.StartsWith("sampling.", StringComparison.Ordinal)) return field;
        if (_samplingPrefix is not null) return _samplingPrefix + field;
        var index = field.IndexOf('[', StringComparison.Ordinal); // sampling.stop[2] is the API's stop list
        return index > 0 && _names.TryGetValue(field[..index], out var list) ? list : field;
    }

    public GatewayError Apply(GatewayError error) => error.Param is null ? error : error with { Param = Translate(error.Param) };

    /// <summary>POST /v1/chat/completions: OpenAI's names, the Mustafar options under "mustafar.".</summary>
    /// <param name="imageField">The image_url part ("messages[0].content[1].image_url").</param>
    /// <param name="questionField">The last user message's content, which is the question.</param>
    public static RequestFields Chat(string imageField, string questionField, bool customPrompt, bool maxCompletionTokens)
    {
        var names = Diffusion(option => "mustafar." + option, customPrompt ? "mustafar.custom_prompt" : questionField);
        names["image"] = imageField;
        names["messages"] = "messages";
        names["model"] = "model";
        HttpSampling(names, maxCompletionTokens ? "max_completion_tokens" : "max_tokens", topK: "mustafar.top_k", seed: "seed");
        names["sampling.stop"] = "stop";
        names["sampling.repetition_penalty"] = "mustafar.repetition_penalty";
        foreach (var field in (string[])["frequency_penalty", "presence_penalty", "logit_bias", "logprobs", "top_logprobs"])
            names["sampling." + field] = field;
        return new RequestFields(names, null);
    }

    /// <summary>gRPC <c>VisualQuestionAnswering.Ask</c>: the proto paths of <c>AskRequest</c>.</summary>
    public static RequestFields Ask(bool customPrompt)
    {
        var names = Diffusion(option => "options." + option, customPrompt ? "options.custom_prompt" : "question");
        names["messages"] = "question";
        names["model"] = "options.model";
        return new RequestFields(names, "options.");
    }

    /// <summary>POST /v1/vqa: the form's field names.</summary>
    public static RequestFields Form(bool customPrompt)
    {
        var names = Diffusion(option => option, customPrompt ? "custom_prompt" : "question");
        names["messages"] = "question";
        HttpSampling(names, "max_tokens", topK: "top_k", seed: "sampling_seed");
        return new RequestFields(names, null);
    }

    /// <summary>OpenAI's sampling names, which both HTTP APIs use; they differ in where top_k and the seed live.</summary>
    private static void HttpSampling(Dictionary<string, string> names, string maxTokens, string topK, string seed)
    {
        names["sampling.max_new_tokens"] = maxTokens;
        names["sampling.temperature"] = "temperature";
        names["sampling.top_p"] = "top_p";
        names["sampling.top_k"] = topK;
        names["sampling.seed"] = seed;
    }

    /// <summary>The diffusion options and the diffusion service's own fields: "prompt" is the question, or the custom
    /// prompt in custom mode; "taps" is the tap the request chose.</summary>
    private static Dictionary<string, string> Diffusion(Func<string, string> option, string prompt)
    {
        var names = DiffusionOptions.ToDictionary(o => o, option, StringComparer.Ordinal);
        names["prompt"] = prompt;
        names["taps"] = option("diffusion_tap");
        return names;
    }
}
