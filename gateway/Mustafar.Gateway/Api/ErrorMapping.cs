using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Mustafar.Tensors;

namespace Mustafar.Gateway.Api;

/// <summary>One description of an error, whatever raised it.</summary>
public sealed record GatewayError(ErrorKind Kind, string Message, string? Param, string? Code)
{
    public int HttpStatus => ErrorMapping.HttpStatus(Kind);
}

/// <summary>Maps exceptions from the gateway, the services and ASP.NET to <see cref="GatewayError"/>, and errors to
/// HTTP statuses, OpenAI error types and gRPC statuses. Services' gRPC statuses map as design.md says:
/// INVALID_ARGUMENT 400, RESOURCE_EXHAUSTED 429, UNAVAILABLE 503, DEADLINE_EXCEEDED 504, NOT_FOUND 404,
/// UNAUTHENTICATED 401; a size limit (the gateway's or a service's) is 413.</summary>
public static class ErrorMapping
{
    public static GatewayError From(Exception exception) => exception switch
    {
        GatewayException g => new GatewayError(g.Kind, g.Message, g.Param, g.Code),
        InputTooLargeException t => new GatewayError(ErrorKind.TooLarge, t.Reason, t.Field, "too_large"),
        InvalidInputException i => new GatewayError(ErrorKind.InvalidInput, i.Reason, i.Field, "invalid_value"),
        RpcException rpc => FromRpc(rpc),
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
            new GatewayError(ErrorKind.TooLarge, "the request body is larger than the gateway accepts", null, "request_too_large"),
        BadHttpRequestException bad => new GatewayError(ErrorKind.InvalidInput, bad.Message, null, "bad_request"),
        TimeoutException => new GatewayError(ErrorKind.Timeout, "the request deadline passed", null, "deadline_exceeded"),
        OperationCanceledException => new GatewayError(ErrorKind.Cancelled, "the request was cancelled", null, "cancelled"),
        _ => new GatewayError(ErrorKind.BadUpstream, "internal gateway error; see the gateway log", null, "internal_error"),
    };

    /// <summary>A status a service (or the gRPC client on its behalf) returned. Bad input names its field in the
    /// <see cref="ErrorTrailers"/> (the services' proto field names; the API's <see cref="RequestFields"/> turn them
    /// into the caller's), and a size limit a service enforces is TooLarge, like the gateway's own.</summary>
    public static GatewayError FromRpc(RpcException rpc)
    {
        var detail = rpc.Status.Detail;
        if (rpc.StatusCode == StatusCode.InvalidArgument && rpc.Trailers.GetValue(ErrorTrailers.Field) is { Length: > 0 } field)
        {
            var reason = detail.StartsWith(field + ": ", StringComparison.Ordinal) ? detail[(field.Length + 2)..] : detail;
            return rpc.Trailers.GetValue(ErrorTrailers.Kind) == ErrorTrailers.TooLarge
                ? new GatewayError(ErrorKind.TooLarge, reason, field, "too_large")
                : new GatewayError(ErrorKind.InvalidInput, reason, field, "invalid_value");
        }
        return rpc.StatusCode switch
        {
            StatusCode.InvalidArgument or StatusCode.OutOfRange or StatusCode.FailedPrecondition =>
                new GatewayError(ErrorKind.InvalidInput, detail, null, "invalid_request"),
            StatusCode.ResourceExhausted => new GatewayError(ErrorKind.Overloaded, detail, null, "upstream_overloaded"),
            StatusCode.Unavailable => new GatewayError(ErrorKind.Unavailable, detail, null, "service_unavailable"),
            StatusCode.DeadlineExceeded => new GatewayError(ErrorKind.Timeout, "the request deadline passed: " + detail, null, "deadline_exceeded"),
            StatusCode.NotFound => new GatewayError(ErrorKind.NotFound, detail, null, "not_found"),
            StatusCode.Unauthenticated or StatusCode.PermissionDenied => new GatewayError(ErrorKind.Unauthenticated, detail, null, "unauthenticated"),
            StatusCode.Cancelled => new GatewayError(ErrorKind.Cancelled, detail, null, "cancelled"),
            _ => new GatewayError(ErrorKind.BadUpstream, $"a service failed ({rpc.StatusCode}): {detail}", null, "upstream_error"),
        };
    }

    public static int HttpStatus(ErrorKind kind) => kind switch
    {
        ErrorKind.InvalidInput => StatusCodes.Status400BadRequest,
        ErrorKind.Unauthenticated => StatusCodes.Status401Unauthorized,
        ErrorKind.NotFound => StatusCodes.Status404NotFound,
        ErrorKind.MethodNotAllowed => StatusCodes.Status405MethodNotAllowed,
        ErrorKind.TooLarge => StatusCodes.Status413PayloadTooLarge,
        ErrorKind.UnsupportedMediaType => StatusCodes.Status415UnsupportedMediaType,
        ErrorKind.Overloaded => StatusCodes.Status429TooManyRequests,
        ErrorKind.Unavailable => StatusCodes.Status503ServiceUnavailable,
        ErrorKind.Timeout => StatusCodes.Status504GatewayTimeout,
        ErrorKind.Cancelled => StatusCodes.Status499ClientClosedRequest,
        _ => StatusCodes.Status502BadGateway,
    };

    /// <summary>The Retry-After of a 429 or 503: a full queue drains within about a second; a pool without a healthy
    /// destination gets one back at the next active probe at the earliest (every 5 s by default). Clients such as
    /// the OpenAI SDKs wait as long as it says before they retry.</summary>
    public static int? RetryAfterSeconds(ErrorKind kind) => kind switch
    {
        ErrorKind.Overloaded => 1,
        ErrorKind.Unavailable => 5,
        _ => null,
    };

    /// <summary>The "type" of an OpenAI error object.</summary>
    public static string OpenAiType(ErrorKind kind) => kind switch
    {
        ErrorKind.InvalidInput or ErrorKind.NotFound or ErrorKind.MethodNotAllowed or ErrorKind.TooLarge or ErrorKind.UnsupportedMediaType => "invalid_request_error",
        ErrorKind.Unauthenticated => "authentication_error",
        ErrorKind.Overloaded => "rate_limit_error",
        ErrorKind.Timeout => "timeout_error",
        ErrorKind.Unavailable => "service_unavailable_error",
        _ => "server_error",
    };

    public static StatusCode GrpcStatus(ErrorKind kind) => kind switch
    {
        ErrorKind.InvalidInput or ErrorKind.UnsupportedMediaType => StatusCode.InvalidArgument,
        ErrorKind.Unauthenticated => StatusCode.Unauthenticated,
        ErrorKind.NotFound => StatusCode.NotFound,
        ErrorKind.MethodNotAllowed => StatusCode.Unimplemented,
        ErrorKind.TooLarge or ErrorKind.Overloaded => StatusCode.ResourceExhausted,
        ErrorKind.Unavailable => StatusCode.Unavailable,
        ErrorKind.Timeout => StatusCode.DeadlineExceeded,
        ErrorKind.Cancelled => StatusCode.Cancelled,
        _ => StatusCode.Internal,
    };

    /// <summary>The gRPC status message: the field first, as the services do ("image: not an image").</summary>
    public static string GrpcMessage(GatewayError error) =>
        error.Param is { Length: > 0 } param ? $"{param}: {error.Message}" : error.Message;
}
