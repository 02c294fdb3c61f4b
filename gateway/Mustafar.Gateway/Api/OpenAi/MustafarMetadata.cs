namespace Mustafar.Gateway.Api.OpenAi;

/// <summary>The "mustafar" object of HTTP answers: image id, cache status per feature, the diffusion conditioning
/// used (null for a model without diffusion features) and the per-stage timings.</summary>
public sealed record MustafarMetadata
{
    public required string ImageId { get; init; }
    public required string Model { get; init; }
    public required CacheReport Cache { get; init; }
    public DiffusionReport? Diffusion { get; init; }
    public required TimingsReport Timings { get; init; }
}

/// <summary>"hit", "miss", "bypass", "error" or "not_used" per feature.</summary>
public sealed record CacheReport(string Clip, string DiffusionConditional, string DiffusionUnconditional);

public sealed record DiffusionReport
{
    /// <summary>"question", "empty" or "custom".</summary>
    public required string PromptMode { get; init; }
    public required int Timestep { get; init; }
    public required ulong Seed { get; init; }
    public required float GuidanceScale { get; init; }
    public required string Tap { get; init; }
    public required bool PromptTruncated { get; init; }
}

public sealed record TimingsReport
{
    public required double DecodeImageMs { get; init; }
    public required double ClipMs { get; init; }
    public required double DiffusionMs { get; init; }
    public required double TimeToFirstTokenMs { get; init; }
    public required double GenerateMs { get; init; }
    public required double TotalMs { get; init; }
}
