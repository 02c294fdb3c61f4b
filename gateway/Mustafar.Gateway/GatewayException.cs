namespace Mustafar.Gateway;

/// <summary>What went wrong, in terms both APIs can express: each kind has one HTTP status, one OpenAI error type
/// and one gRPC status (see <see cref="Api.ErrorMapping"/>).</summary>
public enum ErrorKind
{
    /// <summary>The request can never succeed as sent (HTTP 400, INVALID_ARGUMENT).</summary>
    InvalidInput,
    /// <summary>API keys are enabled and none or a wrong one was sent (401, UNAUTHENTICATED).</summary>
    Unauthenticated,
    /// <summary>Unknown model (404, NOT_FOUND).</summary>
    NotFound,
    /// <summary>The path exists but not for this HTTP method (405, with Allow; HTTP only).</summary>
    MethodNotAllowed,
    /// <summary>A size limit of the gateway or a service (413, RESOURCE_EXHAUSTED).</summary>
    TooLarge,
    /// <summary>The body is not in the media type the endpoint reads (415; HTTP only).</summary>
    UnsupportedMediaType,
    /// <summary>Too many requests here or a service queue is full (429, RESOURCE_EXHAUSTED).</summary>
    Overloaded,
    /// <summary>A pool has no reachable destination or a service is not ready (503, UNAVAILABLE).</summary>
    Unavailable,
    /// <summary>The deadline passed (504, DEADLINE_EXCEEDED).</summary>
    Timeout,
    /// <summary>A service answered something that breaks the contract (502, INTERNAL).</summary>
    BadUpstream,
    /// <summary>The client went away (499, CANCELLED); nothing is sent back.</summary>
    Cancelled,
}

/// <summary>An error the gateway reports to its caller as it is: the message is written for the caller and
/// never carries a stack trace.</summary>
/// <param name="param">The request field at fault, in the caller's terms ("messages[0].content[1].image_url.url").</param>
/// <param name="code">A stable machine-readable code ("invalid_image", "model_not_found").</param>
public sealed class GatewayException(ErrorKind kind, string message, string? param = null, string? code = null, Exception? inner = null)
    : Exception(message, inner)
{
    public ErrorKind Kind { get; } = kind;
    public string? Param { get; } = param;
    public string? Code { get; } = code;
}
