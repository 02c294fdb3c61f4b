using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Mustafar.Gateway.Api;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Mustafar.Gateway.Routing;

/// <summary>
/// YARP answers a forward that failed before the destination answered (connection refused, reset, timeout, no
/// healthy destination) with a bare HTTP 502/503/504. A gRPC client reads that as UNAVAILABLE "Bad gRPC response.
/// HTTP status code: 502", which says neither which pool failed nor that another try may succeed. For gRPC calls
/// on the proxied routes this middleware, outermost in the proxy pipeline, turns such a failure into a gRPC status
/// with a message naming the pool, the destination and the cause: UNAVAILABLE (retryable) for transport failures
/// and an empty pool, DEADLINE_EXCEEDED for a timeout, CANCELLED when the client went away.
/// </summary>
public static class ProxyFailures
{
    public static async Task WriteGrpcStatusAsync(HttpContext context, Func<Task> next)
    {
        await next().ConfigureAwait(false);
        if (context.GetForwarderErrorFeature() is not { } failure || context.Response.HasStarted || !ErrorResponses.IsGrpc(context.Request)) return;
        var proxy = context.GetReverseProxyFeature();
        var pool = proxy.Cluster.Config.ClusterId;
        var (status, message) = failure.Error switch
        {
            ForwarderError.NoAvailableDestinations => (StatusCode.Unavailable, $"the {pool} pool has no healthy destination; retry later"),
            ForwarderError.RequestTimedOut => (StatusCode.DeadlineExceeded, $"the {pool} pool's destination {Destination(proxy)} did not answer in time"),
            ForwarderError.RequestCanceled => (StatusCode.Cancelled, "the call was cancelled"),
            _ => (StatusCode.Unavailable,
                $"the {pool} pool's destination {Destination(proxy)} failed ({failure.Error}: {failure.Exception?.Message ?? "no detail"}); retry, another destination may answer"),
        };
        ErrorResponses.WriteGrpcStatus(context, status, message);
    }

    private static string Destination(IReverseProxyFeature proxy) => proxy.ProxiedDestination?.DestinationId ?? "(none)";
}
