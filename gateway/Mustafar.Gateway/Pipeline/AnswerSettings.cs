namespace Mustafar.Gateway.Pipeline;

/// <summary>What the diffusion encoder is conditioned on. Strong guidance can leak the prompt text into the
/// features, so this is always an explicit, visible choice.</summary>
public enum DiffusionPromptMode
{
    /// <summary>The gateway's configured default, else the prompt the fusion module was trained with.</summary>
    Unspecified,
    /// <summary>The user's question (the paper's task-aware setting).</summary>
    Question,
    /// <summary>The empty prompt: unconditional features only.</summary>
    Empty,
    /// <summary><see cref="DiffusionChoice.CustomPrompt"/>.</summary>
    Custom,
}

/// <summary>A request's diffusion conditioning; what it leaves unset takes the gateway's defaults, then the
/// settings the fusion module was trained with, then the diffusion service's (<see cref="DiffusionConditioning"/>).</summary>
public sealed record DiffusionChoice
{
    public DiffusionPromptMode PromptMode { get; init; }

    /// <summary>The prompt for <see cref="DiffusionPromptMode.Custom"/>; empty: the configured one.</summary>
    public string CustomPrompt { get; init; } = "";

    public int? Timestep { get; init; }

    public ulong? Seed { get; init; }

    /// <summary>Feature guidance scale s of f_u + s (f_c - f_u).</summary>
    public float? GuidanceScale { get; init; }

    /// <summary>Overrides the generator's trained tap; empty: the trained one.</summary>
    public string Tap { get; init; } = "";
}

/// <summary>How the generator samples the answer. Unset (null) values take the generator's defaults; the generator
/// checks them against its model, the APIs refuse only what can never be valid.</summary>
public sealed record SamplingSettings
{
    public int? MaxNewTokens { get; init; }
    public float? Temperature { get; init; }
    public float? TopP { get; init; }
    public int? TopK { get; init; }
    public ulong? Seed { get; init; }
    public IReadOnlyList<string> Stop { get; init; } = [];
    public float? RepetitionPenalty { get; init; }
    public float? FrequencyPenalty { get; init; }
    public float? PresencePenalty { get; init; }

    /// <summary>Token id to a bias added to its logit.</summary>
    public IReadOnlyDictionary<int, float> LogitBias { get; init; } = new Dictionary<int, float>();

    /// <summary>Return each sampled token's log-probability (and <see cref="TopLogprobs"/> alternatives).</summary>
    public bool Logprobs { get; init; }
    public int? TopLogprobs { get; init; }
}

/// <summary>Everything a request chooses besides its image and conversation.</summary>
public sealed record AnswerSettings
{
    /// <summary>The model the caller asked for; empty: the gateway's. Any other id is refused as not found.</summary>
    public string Model { get; init; } = "";
    public SamplingSettings Sampling { get; init; } = new();
    public DiffusionChoice Diffusion { get; init; } = new();

    /// <summary>Skip the feature cache for this request (neither read nor write).</summary>
    public bool BypassCache { get; init; }

    /// <summary>Replaces the conversation template's system line; empty: the template's.</summary>
    public string SystemPrompt { get; init; } = "";
}
