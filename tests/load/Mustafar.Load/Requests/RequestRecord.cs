using Mustafar.Load.Scenario;

namespace Mustafar.Load.Requests;

/// <summary>
/// How one request ended. Times are offsets from the start of the run on one monotonic clock: when it was due
/// (open loop: its slot in the schedule; closed loop: when its worker sent it), when it was sent, when its first
/// token arrived and when it ended. Latency counts from the due time, so a request the client could not send on
/// time still counts its wait (no coordinated omission).
/// </summary>
public sealed record RequestRecord
{
    /// <summary>The outcome of a request that succeeded.</summary>
    public const string Ok = "ok";

    public required long Index { get; init; }
    public required RequestKind Kind { get; init; }
    public required bool RepeatedImage { get; init; }
    public required TimeSpan Scheduled { get; init; }
    public required TimeSpan Started { get; init; }
    public required TimeSpan Ended { get; init; }
    public TimeSpan? FirstToken { get; init; }

    /// <summary>"ok", or an error code: "http 503", "grpc Unavailable", "sse service_unavailable_error",
    /// "incomplete", "timeout", "transport", "client-backlog", "cancelled".</summary>
    public required string Outcome { get; init; }

    /// <summary>The error's message as the client received it.</summary>
    public string? Message { get; init; }

    /// <summary>Whether the error says that trying again (elsewhere, later) may succeed: HTTP 429/503,
    /// UNAVAILABLE/RESOURCE_EXHAUSTED, or an SSE error event of those kinds.</summary>
    public bool Retryable { get; init; }

    /// <summary>The cache statuses the answer reported (chat, chat-stream, ask).</summary>
    public CacheStatuses? Cache { get; init; }

    public int CompletionTokens { get; init; }

    public bool Succeeded => Outcome == Ok;

    public TimeSpan Latency => Ended - Scheduled;

    public TimeSpan? TimeToFirstToken => FirstToken - Scheduled;
}
