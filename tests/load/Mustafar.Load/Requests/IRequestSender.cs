namespace Mustafar.Load.Requests;

/// <summary>Sends one planned request and says how it ended. Errors the server reports are results, not exceptions;
/// exceptions are left to the engine, which classifies timeouts, cancellation and transport failures.</summary>
public interface IRequestSender
{
    /// <summary>Sends <paramref name="plan"/>, calling <paramref name="firstToken"/> when the first answer token
    /// arrives (streaming kinds).</summary>
    Task<SendResult> SendAsync(RequestPlan plan, Action firstToken, CancellationToken cancellationToken);
}
