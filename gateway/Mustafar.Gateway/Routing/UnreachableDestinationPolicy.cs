using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Mustafar.Gateway.Routing;

/// <summary>
/// The pools' passive health policy (<c>"Policy": "Unreachable"</c>), one rule for the proxied routes and the
/// pipeline: a destination that could not be reached is left out of the pool for the cluster's passive reactivation
/// period (<see cref="UpstreamPools.ReportUnavailable"/> does the same for the pipeline's own calls). It never marks
/// a destination healthy; the active /readyz probes and the reactivation period bring it back. YARP's
/// TransportFailureRate policy does mark one healthy while its failure rate over the last minute is low, so right
/// after a replica died a proxied call to it, its one failure outweighed by the earlier successes, put the dead
/// replica back in the pool that the pipeline had just taken it out of.
/// </summary>
public sealed class UnreachableDestinationPolicy(IDestinationHealthUpdater healthUpdater) : IPassiveHealthCheckPolicy
{
    public const string PolicyName = "Unreachable";

    private static readonly TimeSpan DefaultReactivationPeriod = TimeSpan.FromSeconds(60);

    public string Name => PolicyName;

    public void RequestProxied(HttpContext context, ClusterState cluster, DestinationState destination)
    {
        if (context.GetForwarderErrorFeature()?.Error is { } error && IsUnreachable(error))
            healthUpdater.SetPassive(cluster, destination, DestinationHealth.Unhealthy, ReactivationPeriod(cluster));
    }

    /// <summary>How long a destination reported unhealthy stays out of the pool.</summary>
    public static TimeSpan ReactivationPeriod(ClusterState cluster) =>
        cluster.Model.Config.HealthCheck?.Passive?.ReactivationPeriod ?? DefaultReactivationPeriod;

    /// <summary>The destination's side failed: the connection or the request could not be made, or the destination
    /// broke off. Cancellations and the client's own failures say nothing about the destination, and a timeout
    /// means a slow (loaded) replica, which the active probes judge.</summary>
    private static bool IsUnreachable(ForwarderError error) => error is ForwarderError.Request
        or ForwarderError.RequestBodyDestination or ForwarderError.ResponseHeaders or ForwarderError.ResponseBodyDestination;
}
