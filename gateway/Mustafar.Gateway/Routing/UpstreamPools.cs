using System.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Http;
using Mustafar.Gateway.Observability;
using Mustafar.ServiceDefaults;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Mustafar.Gateway.Routing;

/// <summary>
/// The pipeline's way into the pools: the same YARP clusters, health state and load-balancing policy as the
/// proxied routes. A destination is picked among the pool's healthy (or not yet probed) destinations
/// (<see cref="HealthyDestinations"/>) by the cluster's policy; a destination that fails with UNAVAILABLE (refused connection, service not ready) is reported
/// to YARP's passive health state, so both the proxy and the pipeline avoid it until its reactivation period ends.
/// </summary>
public sealed class UpstreamPools(
    IProxyStateLookup proxyState,
    IEnumerable<ILoadBalancingPolicy> policies,
    IDestinationHealthUpdater healthUpdater,
    DestinationChannels channels,
    GatewayMetrics metrics,
    ILogger<UpstreamPools> logger)
{
    private readonly Dictionary<string, ILoadBalancingPolicy> _policies =
        policies.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>Picks a destination of <paramref name="pool"/> other than <paramref name="exclude"/>.</summary>
    /// <exception cref="GatewayException">UNAVAILABLE: the pool is unknown or has no healthy destination.</exception>
    public UpstreamLease Lease(string pool, HttpContext? context, DestinationState? exclude = null)
    {
        if (!proxyState.TryGetCluster(pool, out var cluster))
            throw new GatewayException(ErrorKind.Unavailable, $"the {pool} pool is not configured (no YARP cluster '{pool}')", code: "no_destination");
        var healthy = HealthyDestinations.Of(cluster);
        var candidates = exclude is null ? healthy : healthy.Where(d => !ReferenceEquals(d, exclude)).ToList();
        if (candidates.Count == 0)
            throw new GatewayException(ErrorKind.Unavailable,
                exclude is null ? $"the {pool} pool has no healthy destination ({HealthyDestinations.Describe(cluster)}); retry later"
                    : $"the {pool} pool has no other healthy destination to retry on",
                code: "no_destination");

        var destination = candidates.Count == 1 ? candidates[0] : Policy(cluster).PickDestination(context ?? new DefaultHttpContext(), cluster, candidates) ?? candidates[0];
        return new UpstreamLease(cluster, destination, channels.For(destination.Model.Config.Address));
    }

    private ILoadBalancingPolicy Policy(ClusterState cluster)
    {
        var name = cluster.Model.Config.LoadBalancingPolicy is { Length: > 0 } configured ? configured : LoadBalancingPolicies.PowerOfTwoChoices;
        return _policies.TryGetValue(name, out var policy) ? policy : _policies[LoadBalancingPolicies.PowerOfTwoChoices];
    }

    /// <summary>Marks the lease's destination unhealthy in YARP's passive health state (the proxy's routes skip it
    /// too) until the cluster's passive reactivation period has passed.</summary>
    public void ReportUnavailable(UpstreamLease lease, Exception error)
    {
        var period = UnreachableDestinationPolicy.ReactivationPeriod(lease.Cluster);
        logger.LogWarning("{Pool} destination {Destination} ({Address}) is unavailable, avoiding it for {Period}: {Error}",
            lease.Cluster.ClusterId, lease.Destination.DestinationId, lease.Destination.Model.Config.Address, period, error.Message);
        healthUpdater.SetPassive(lease.Cluster, lease.Destination, DestinationHealth.Unhealthy, period);
    }

    /// <summary>Runs an idempotent unary call (Encode, GetModelInfo) with <see cref="CallWithOneRetryAsync"/>; the
    /// destination is released when the call ends.</summary>
    public Task<T> CallIdempotentAsync<T>(string pool, string method, HttpContext? context,
        Func<GrpcChannel, Task<T>> call, CancellationToken cancellationToken) =>
        CallWithOneRetryAsync(pool, method, context, async lease =>
        {
            using (lease) return await call(lease.Channel).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>Starts a call on a destination of <paramref name="pool"/>. When the destination answers UNAVAILABLE
    /// or cannot be reached before <paramref name="start"/> returns, it is reported and the call is started once more
    /// on another destination. <paramref name="start"/> owns the lease once it returns (a stream keeps holding the
    /// destination); when it throws, the lease is released here.</summary>
    public async Task<T> CallWithOneRetryAsync<T>(string pool, string method, HttpContext? context,
        Func<UpstreamLease, Task<T>> start, CancellationToken cancellationToken)
    {
        DestinationState? failed = null;
        RpcException? firstError = null;
        for (var attempt = 0; ; attempt++)
        {
            UpstreamLease lease;
            try
            {
                lease = Lease(pool, context, failed);
            }
            catch (GatewayException) when (firstError is not null)
            {
                // Nothing to retry on: report what the one destination said, and which pool and destination it is
                // (the gRPC client's own words, "Error connecting to subchannel.", name neither).
                throw new GatewayException(ErrorKind.Unavailable,
                    $"the {pool} pool's destination {failed!.DestinationId} is unavailable ({firstError.Status.Detail}) and the pool has no other healthy destination; retry later",
                    code: "service_unavailable", inner: firstError);
            }

            // One span per try: which pool and destination it went to. The gRPC client span (and, in the service,
            // the server span with its batch, queue wait and compute time) is its child.
            using var span = MeshTracing.Source.StartActivity($"pool {pool}/{method}", ActivityKind.Internal);
            span?.SetTag(SpanTags.Pool, pool);
            span?.SetTag(SpanTags.Destination, lease.Destination.DestinationId);
            span?.SetTag(SpanTags.DestinationAddress, lease.Destination.Model.Config.Address);
            span?.SetTag(SpanTags.RpcMethod, method);
            span?.SetTag(SpanTags.Attempt, attempt);
            try
            {
                var result = await start(lease).ConfigureAwait(false);
                CountCall(pool, method, StatusCode.OK);
                return result;
            }
            catch (RpcException error)
            {
                span?.SetStatus(ActivityStatusCode.Error, error.Status.Detail);
                lease.Dispose();
                CountCall(pool, method, error.StatusCode);
                if (error.StatusCode != StatusCode.Unavailable) throw;
                ReportUnavailable(lease, error);
                if (attempt > 0 || cancellationToken.IsCancellationRequested) throw;
                metrics.UpstreamRetries.WithLabels(pool).Inc();
                failed = lease.Destination;
                firstError = error;
            }
            catch
            {
                lease.Dispose();
                throw;
            }
        }
    }

    public void CountCall(string pool, string method, StatusCode status) =>
        metrics.UpstreamCalls.WithLabels(pool, method, status.ToString()).Inc();
}
