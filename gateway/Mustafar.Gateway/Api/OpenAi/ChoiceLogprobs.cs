namespace Mustafar.Gateway.Api.OpenAi;

/// <summary>A choice's "logprobs": {"content": [...], "refusal": null}.</summary>
public sealed record ChoiceLogprobs
{
    public required IReadOnlyList<TokenLogprob> Content { get; init; }
    public string? Refusal => null;
}

/// <summary>A sampled token: its text, log-probability, UTF-8 bytes (a list of integers) and the most likely
/// alternatives at its step.</summary>
public sealed record TokenLogprob
{
    public required string Token { get; init; }
    public required float Logprob { get; init; }
    public required IReadOnlyList<int> Bytes { get; init; }
    public required IReadOnlyList<TopLogprob> TopLogprobs { get; init; }
}

public sealed record TopLogprob
{
    public required string Token { get; init; }
    public required float Logprob { get; init; }
    public required IReadOnlyList<int> Bytes { get; init; }
}
