namespace Mustafar.Gateway.Api.OpenAi;

/// <summary>The answer of a non-streaming chat completion, as OpenAI sends it, plus Mustafar's metadata.</summary>
public sealed record ChatCompletion
{
    public required string Id { get; init; }
    public string Object => "chat.completion";
    public required long Created { get; init; }
    public required string Model { get; init; }
    public required IReadOnlyList<ChatCompletionChoice> Choices { get; init; }
    public required Usage Usage { get; init; }

    /// <summary>Mustafar's extension: image id, cache statuses, diffusion settings, timings.</summary>
    public required MustafarMetadata Mustafar { get; init; }
}

/// <summary>The one choice (n = 1): the whole answer.</summary>
public sealed record ChatCompletionChoice
{
    public int Index { get; init; }
    public required AssistantMessage Message { get; init; }

    /// <summary>null unless the request asked for "logprobs": true.</summary>
    public ChoiceLogprobs? Logprobs { get; init; }
    public required string FinishReason { get; init; }
}

public sealed record AssistantMessage
{
    public string Role => "assistant";
    public required string Content { get; init; }
}

/// <summary>Token counts, visual tokens included in the prompt.</summary>
public sealed record Usage
{
    public required int PromptTokens { get; init; }
    public required int CompletionTokens { get; init; }
    public int TotalTokens => PromptTokens + CompletionTokens;
}
