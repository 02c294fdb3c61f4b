namespace Mustafar.Load.Requests;

/// <summary>What a sender learnt from one response; the engine adds the times.</summary>
public sealed record SendResult(string Outcome, string? Message = null, bool Retryable = false, CacheStatuses? Cache = null, int CompletionTokens = 0)
{
    public static SendResult Success(CacheStatuses? cache = null, int completionTokens = 0) => new(RequestRecord.Ok, null, false, cache, completionTokens);

    public static SendResult Incomplete(string message) => new("incomplete", message);
}
