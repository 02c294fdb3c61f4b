using Microsoft.AspNetCore.Http;
using Mustafar.Gateway.Api;

namespace Mustafar.Gateway.Routing;

/// <summary>
/// The proxied routes carry gRPC only. A request there whose Content-Type is not gRPC's is the client's error, and
/// is answered here, always the same way: HTTP 415, as the gRPC over HTTP/2 spec asks of servers (a gRPC error
/// would be HTTP 200, which a non-gRPC client reads as success). Forwarded, the destination refused it while YARP
/// was still sending the body, and the race between the two gave a 415, a reset stream or UNAVAILABLE blaming the
/// destination, which was then taken out of the pool as unreachable.
/// </summary>
public static class GrpcContentType
{
    private const string Grpc = "application/grpc";

    /// <summary>Proxy pipeline step, first: refuses what is not gRPC before any destination is picked.</summary>
    public static Task RefuseOthersAsync(HttpContext context, Func<Task> next)
    {
        var contentType = context.Request.ContentType;
        if (IsGrpc(contentType)) return next();
        var sent = string.IsNullOrEmpty(contentType) ? "none" : $"'{contentType}'";
        return ErrorResponses.WriteHttpAsync(context, new GatewayError(ErrorKind.UnsupportedMediaType,
            $"{context.Request.Path} is a gRPC method: the request's Content-Type must be {Grpc} (sent: {sent})", null, "invalid_content_type"));
    }

    /// <summary>What grpc-dotnet accepts: application/grpc, optionally with a codec (+proto) or parameters.</summary>
    public static bool IsGrpc(string? contentType) =>
        contentType is not null && contentType.StartsWith(Grpc, StringComparison.OrdinalIgnoreCase)
        && (contentType.Length == Grpc.Length || contentType[Grpc.Length] is '+' or ';');
}
