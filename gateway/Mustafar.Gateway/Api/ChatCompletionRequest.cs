using System.Text.Json;

namespace Mustafar.Gateway.Api;

/// <summary>The body of POST /v1/chat/completions: OpenAI's fields the gateway understands (others are ignored,
/// as OpenAI clients send many), plus the "mustafar" extension object.</summary>
public sealed class ChatCompletionRequest
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
    public MustafarOptions? Mustafar { get; set; }
}

/// <summary>One message: content is a string or an array of parts ({"type": "text"} / {"type": "image_url"}).</summary>
public sealed class ChatCompletionMessage
{
    public string? Role { get; set; }
    public JsonElement Content { get; set; }
}

/// <summary>The "mustafar" extension object: diffusion conditioning, cache bypass and sampling knobs OpenAI lacks.</summary>
public sealed class MustafarOptions
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
