using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mustafar.Gateway.Api.OpenAi;

/// <summary>The body of POST /v1/chat/completions: OpenAI's fields the gateway understands, the ones it refuses
/// (<see cref="Api.UnsupportedFields"/>), plus the "mustafar" extension object. Other fields are ignored, as OpenAI
/// ignores them, and logged once per name.</summary>
// The request records' properties are settable, not init: the generated serializer passes init properties through a
// constructor, which cannot take extension data, and reports a wrong value as the whole request's type instead of the
// field's (JsonInput turns that type into the "must be" of the 400).
public sealed record ChatCompletionRequest
{
    public string? Model { get; set; }
    public List<ChatCompletionMessage>? Messages { get; set; }
    public bool Stream { get; set; }
    public int? MaxTokens { get; set; }
    public int? MaxCompletionTokens { get; set; }
    public float? Temperature { get; set; }
    public float? TopP { get; set; }
    public long? Seed { get; set; }
    /// <summary>A string or an array of strings.</summary>
    public JsonElement Stop { get; set; }
    public int? N { get; set; }
    public StreamOptions? StreamOptions { get; set; }
    public bool? Logprobs { get; set; }
    public int? TopLogprobs { get; set; }
    public float? FrequencyPenalty { get; set; }
    public float? PresencePenalty { get; set; }
    /// <summary>Token id (a JSON object's key, so a string) to a bias in -100..100.</summary>
    public Dictionary<string, float>? LogitBias { get; set; }
    /// <summary>OpenAI's end-user id: accepted and not used.</summary>
    public string? User { get; set; }
    public MustafarOptions? Mustafar { get; set; }

    /// <summary>Fields no property above takes: ignored, and each name logged once (<see cref="Api.IgnoredFieldLog"/>).</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Ignored { get; set; }

    // Refused unless they ask for nothing (UnsupportedFields); raw JSON so that any value can be judged there.
    public JsonElement ResponseFormat { get; set; }
    public JsonElement Tools { get; set; }
    public JsonElement ToolChoice { get; set; }
    public JsonElement Functions { get; set; }
    public JsonElement FunctionCall { get; set; }
}

/// <summary>"stream_options": only with "stream": true.</summary>
public sealed record StreamOptions
{
    /// <summary>True: one more chunk before [DONE], with "choices": [] and the usage (every other chunk has
    /// "usage": null). False or absent: no usage in the stream.</summary>
    public bool IncludeUsage { get; set; }
}

/// <summary>One message: content is a string or an array of parts ({"type": "text"} / {"type": "image_url"}).</summary>
public sealed record ChatCompletionMessage
{
    public string? Role { get; set; }
    public JsonElement Content { get; set; }
}

/// <summary>The "mustafar" extension object: diffusion conditioning, cache bypass and sampling knobs OpenAI lacks.</summary>
public sealed record MustafarOptions
{
    /// <summary>"question" (default), "empty" or "custom".</summary>
    public string? PromptMode { get; set; }
    public string? CustomPrompt { get; set; }
    public int? Timestep { get; set; }
    public ulong? Seed { get; set; }
    public float? GuidanceScale { get; set; }
    public string? DiffusionTap { get; set; }
    public bool? BypassCache { get; set; }
    public int? TopK { get; set; }
    public float? RepetitionPenalty { get; set; }
    public string? SystemPrompt { get; set; }
}
