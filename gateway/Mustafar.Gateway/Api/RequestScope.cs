using Microsoft.AspNetCore.Http;
using Mustafar.Gateway.Observability;

namespace Mustafar.Gateway.Api;

/// <summary>
/// One API request's deadline and cancellation: the earlier of the client's deadline and the gateway's
/// <see cref="LimitOptions.RequestTimeout"/>, and the client going away. The token fires on either, and is what
/// every stage and service call runs under, so a disconnect cancels the generator stream. Also counts the
/// request in the metrics and classifies its failure.
/// </summary>
public sealed class RequestScope : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly HttpContext _context;
    private readonly GatewayMetrics _metrics;
    private readonly string _api;
    private readonly long _started = TimeProvider.System.GetTimestamp();
    private string _outcome = "ok";

    public RequestScope(HttpContext context, GatewayOptions options, GatewayMetrics metrics, string api, DateTime clientDeadline)
    {
        _context = context;
        _metrics = metrics;
        _api = api;
        var ownDeadline = DateTime.UtcNow + options.Limits.RequestTimeout;
        Deadline = clientDeadline < ownDeadline ? clientDeadline : ownDeadline;
        _source = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        _source.CancelAfter(Deadline - DateTime.UtcNow);
        metrics.InFlight.Inc();
    }

    /// <summary>When the request must be done (UTC).</summary>
    public DateTime Deadline { get; }

    public CancellationToken Token => _source.Token;

    public long ReceivedAt => _started;

    /// <summary>How the API names the fields that the pipeline and the services report errors against; set once the
    /// API's own parsing is done (its errors already name its fields).</summary>
    public RequestFields? Fields { get; set; }

    /// <summary>The error to report for <paramref name="exception"/>, naming the caller's field: a cancellation that
    /// the client did not cause is the deadline passing.</summary>
    public GatewayError Classify(Exception exception)
    {
        var error = ErrorMapping.From(exception);
        if (Fields is not null) error = Fields.Apply(error);
        if (error.Kind == ErrorKind.Cancelled && !_context.RequestAborted.IsCancellationRequested)
            error = new GatewayError(ErrorKind.Timeout, "the request deadline passed", null, "deadline_exceeded");
        _outcome = error.Kind.ToString().ToLowerInvariant();
        return error;
    }

    public void Dispose()
    {
        _metrics.InFlight.Dec();
        _metrics.Requests.WithLabels(_api, _outcome).Inc();
        _metrics.RequestSeconds.WithLabels(_api).Observe(TimeProvider.System.GetElapsedTime(_started).TotalSeconds);
        _source.Dispose();
    }
}
