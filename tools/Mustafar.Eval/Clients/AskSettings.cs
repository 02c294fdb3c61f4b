namespace Mustafar.Eval.Clients;

/// <summary>Per-request options, in the gateway's terms. Unset (null) fields take the gateway's defaults, except the
/// decoding: greedy (temperature 0) unless set, because a benchmark score must not depend on a random draw.</summary>
public sealed record AskSettings
{
    public int MaxTokens { get; init; } = 32;
    public float Temperature { get; init; }
    public float? TopP { get; init; }
    public ulong? SamplingSeed { get; init; }
    /// <summary>question, empty or custom.</summary>
    public string? PromptMode { get; init; }
    public string? CustomPrompt { get; init; }
    public float? GuidanceScale { get; init; }
    public int? Timestep { get; init; }
    public ulong? DiffusionSeed { get; init; }
    public string? DiffusionTap { get; init; }
    public bool BypassCache { get; init; }
    public string? Model { get; init; }
    public string? SystemPrompt { get; init; }
}
