using Grpc.Core;
using Microsoft.Extensions.Logging;
using Mustafar.Tensors;

namespace Mustafar.Serving;

/// <summary>
/// Turns an exception escaping a model service into the status its caller gets. Callers see what they can act
/// on and never a stack trace: the offending field for bad input, the limit for a full queue, the reason for
/// UNAVAILABLE, and for anything unexpected only a correlation id, which is logged with the exception.
/// </summary>
public static class ErrorMapper
{
    /// <summary>Trailer carrying the correlation id of an INTERNAL error.</summary>
    public const string CorrelationIdTrailer = "mustafar-correlation-id";

    /// <summary>Trailer naming the offending request field of an INVALID_ARGUMENT error.</summary>
    public const string FieldTrailer = ErrorTrailers.Field;

    /// <summary>Trailer set to <see cref="TooLarge"/> when a size limit was exceeded (the gateway answers 413).</summary>
    public const string ErrorKindTrailer = ErrorTrailers.Kind;

    public const string TooLarge = ErrorTrailers.TooLarge;

    public static RpcException ToRpcException(Exception error, ServerCallContext context, ILogger logger)
    {
        switch (error)
        {
            case RpcException rpc:
                return rpc;
            case InvalidInputException invalid:
                var trailers = new Metadata { { FieldTrailer, invalid.Field } };
                if (invalid is InputTooLargeException) trailers.Add(ErrorKindTrailer, TooLarge);
                return new RpcException(new Status(StatusCode.InvalidArgument, invalid.Message), trailers);
            case QueueFullException full:
                return new RpcException(new Status(StatusCode.ResourceExhausted, full.Message));
            case ServiceUnavailableException unavailable:
                return new RpcException(new Status(StatusCode.Unavailable, unavailable.Message));
        }
        if (context.CancellationToken.IsCancellationRequested)
        {
            // The caller went away or its deadline passed: whatever broke afterwards is a consequence of that.
            return context.Deadline <= DateTime.UtcNow
                ? new RpcException(new Status(StatusCode.DeadlineExceeded, "the call's deadline passed before it finished"))
                : new RpcException(new Status(StatusCode.Cancelled, "the call was cancelled"));
        }
        var correlationId = Guid.NewGuid().ToString("N");
        logger.LogError(error, "Internal error in {Method}, correlation id {CorrelationId}", context.Method, correlationId);
        return new RpcException(new Status(StatusCode.Internal, $"internal error; correlation id {correlationId}"),
            new Metadata { { CorrelationIdTrailer, correlationId } });
    }
}
