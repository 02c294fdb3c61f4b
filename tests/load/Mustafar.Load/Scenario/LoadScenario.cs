using System.Text.Json.Serialization;

namespace Mustafar.Load.Scenario;

/// <summary>How load is applied.</summary>
public enum LoadMode
{
    /// <summary>Fixed concurrency: each worker sends its next request when the previous one ends.</summary>
    Closed,

    /// <summary>Fixed arrival rate: requests are sent on schedule whether or not earlier ones have ended, and latency
    /// counts from the scheduled time (no coordinated omission).</summary>
    Open,
}

/// <summary>
/// One load test: where to send, what to send and how hard. Every property is a command-line option of the same
/// name (<c>--repeat-share 0.5</c>) and a field of a JSON scenario file (<c>"repeat-share": 0.5</c>); the command
/// line overrides the file.
/// </summary>
public sealed record LoadScenario
{
    /// <summary>The gateway's HTTP/1 address (chat kinds).</summary>
    public Uri? Gateway { get; init; }

    /// <summary>The gateway's gRPC (h2c) address (ask, clip, and diffusion unless <see cref="DiffusionGrpc"/> is set).</summary>
    public Uri? GatewayGrpc { get; init; }

    /// <summary>A diffusion encoder's own gRPC address; unset: diffusion calls go through the gateway's YARP route.</summary>
    public Uri? DiffusionGrpc { get; init; }

    /// <summary>Request kinds and their relative weights.</summary>
    public RequestMix Mix { get; init; } = RequestMix.Parse("chat=1,chat-stream=1,ask=1");

    public LoadMode Mode { get; init; } = LoadMode.Closed;

    /// <summary>Closed loop: requests in flight at all times.</summary>
    public int Concurrency { get; init; } = 4;

    /// <summary>Open loop: requests per second.</summary>
    public double Rate { get; init; } = 2;

    /// <summary>How long requests are started (in-flight ones then finish). Zero: no time limit (set <see cref="Requests"/>).</summary>
    [JsonConverter(typeof(DurationConverter))]
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Stop after this many requests. Zero: no count limit.</summary>
    public int Requests { get; init; }

    /// <summary>Requests sent (closed loop, same concurrency) before measuring; reported apart.</summary>
    public int Warmup { get; init; }

    /// <summary>Share of chat/ask/encoder requests that use one of <see cref="RepeatedImages"/> (cache hits after
    /// their first use) instead of a never-seen image (cache misses).</summary>
    public double RepeatShare { get; init; } = 0.5;

    /// <summary>How many distinct images the repeated share cycles through.</summary>
    public int RepeatedImages { get; init; } = 4;

    /// <summary>The PNG every request image is made from; unset: the repository's deploy/sample/still-life.png.</summary>
    public string? Image { get; init; }

    public string Question { get; init; } = "What is on the table?";

    /// <summary>Tokens each answer may generate.</summary>
    public int MaxTokens { get; init; } = 8;

    /// <summary>Token ids no answer may contain, sent as logit_bias -100 (OpenAI) and in the sampling's logit_bias
    /// (gRPC). With the model's end-of-sequence ids every answer runs to <see cref="MaxTokens"/>: fixed-length answers,
    /// what vLLM's serving benchmark calls --ignore-eos.</summary>
    [JsonConverter(typeof(TokenListConverter))]
    public IReadOnlyList<int> BannedTokens { get; init; } = [];

    /// <summary>The client gives up on a request after this long (HTTP) or sets it as the gRPC deadline.</summary>
    [JsonConverter(typeof(DurationConverter))]
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Open loop: requests in flight beyond this are not sent but counted as errors ("client-backlog"),
    /// which protects the load generator itself.</summary>
    public int MaxInFlight { get; init; } = 512;

    /// <summary>Seeds the choice of kinds and images, so that a scenario sends the same sequence each run.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Sent as "Authorization: Bearer KEY" when the gateway requires API keys.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Every problem with the scenario, each naming its option.</summary>
    /// <summary>The gateway's bound on logit_bias entries.</summary>
    public const int MaxBannedTokens = 300;

    public IEnumerable<string> Validate()
    {
        if (Mode == LoadMode.Closed && Concurrency < 1) yield return $"--concurrency must be at least 1, not {Concurrency}";
        if (Mode == LoadMode.Open && !(Rate > 0 && double.IsFinite(Rate))) yield return $"--rate must be a positive number, not {Rate}";
        if (Duration < TimeSpan.Zero) yield return $"--duration must not be negative, not {Duration}";
        if (Requests < 0) yield return $"--requests must not be negative, not {Requests}";
        if (Duration == TimeSpan.Zero && Requests == 0) yield return "set --duration or --requests (or both)";
        if (Warmup < 0) yield return $"--warmup must not be negative, not {Warmup}";
        if (!(RepeatShare >= 0 && RepeatShare <= 1)) yield return $"--repeat-share must be between 0 and 1, not {RepeatShare}";
        if (RepeatedImages < 1) yield return $"--repeated-images must be at least 1, not {RepeatedImages}";
        if (MaxTokens < 1) yield return $"--max-tokens must be at least 1, not {MaxTokens}";
        if (BannedTokens.Any(id => id < 0)) yield return $"--banned-tokens are token ids, not negative: {string.Join(",", BannedTokens)}";
        if (BannedTokens.Count > MaxBannedTokens) yield return $"--banned-tokens holds {BannedTokens.Count} ids; the gateway takes at most {MaxBannedTokens} logit_bias entries";
        if (Timeout <= TimeSpan.Zero) yield return $"--timeout must be positive, not {Timeout}";
        if (MaxInFlight < 1) yield return $"--max-in-flight must be at least 1, not {MaxInFlight}";
        if (string.IsNullOrWhiteSpace(Question)) yield return "--question must not be empty";
        var kinds = Mix.Kinds;
        if (Gateway is null && kinds.Any(k => k is RequestKind.Chat or RequestKind.ChatStream))
            yield return "--gateway (the gateway's HTTP address) is required for chat and chat-stream";
        if (GatewayGrpc is null && kinds.Any(k => k is RequestKind.Ask or RequestKind.Clip))
            yield return "--gateway-grpc (the gateway's gRPC address) is required for ask and clip";
        if (GatewayGrpc is null && DiffusionGrpc is null && kinds.Contains(RequestKind.Diffusion))
            yield return "--gateway-grpc or --diffusion-grpc is required for diffusion";
    }
}
