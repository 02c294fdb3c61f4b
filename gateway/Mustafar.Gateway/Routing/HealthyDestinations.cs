using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace Mustafar.Gateway.Routing;

/// <summary>
/// The one rule for which destinations of a pool take requests, used by readiness, the pipeline and the proxied
/// routes: YARP's available destinations less those that an active probe or a passive report marked unhealthy (not
/// yet probed counts as healthy). YARP's HealthyOrPanic policy (its default) makes every destination available
/// again once none is healthy, so with the only CLIP replica down /readyz said ready and chat failed at the
/// connection ("Error connecting to subchannel."), naming neither the pool nor the cause; a pool without a healthy
/// destination must instead be reported as such, at once.
/// </summary>
public static class HealthyDestinations
{
    public static IReadOnlyList<DestinationState> Of(ClusterState cluster) =>
        cluster.DestinationsState.AvailableDestinations.Where(IsHealthy).ToList();

    public static bool IsHealthy(DestinationState destination) =>
        destination.Health.Active != DestinationHealth.Unhealthy && destination.Health.Passive != DestinationHealth.Unhealthy;

    /// <summary>Proxy pipeline step, before load balancing: a proxied call picks among the healthy destinations
    /// only, and with none YARP answers "no available destinations" (<see cref="ProxyFailures"/> names the pool).</summary>
    public static Task KeepHealthyAsync(HttpContext context, Func<Task> next)
    {
        var proxy = context.GetReverseProxyFeature();
        if (proxy.AvailableDestinations.Any(d => !IsHealthy(d)))
            proxy.AvailableDestinations = proxy.AvailableDestinations.Where(IsHealthy).ToList();
        return next();
    }

    /// <summary>Why a pool has no healthy destination, destination by destination ("clip-0: probe failed").</summary>
    public static string Describe(ClusterState cluster)
    {
        var all = cluster.DestinationsState.AllDestinations;
        if (all.Count == 0) return "it has no destination configured";
        return string.Join(", ", all.Select(d => $"{d.DestinationId}: {State(d)}"));
    }

    private static string State(DestinationState destination) =>
        destination.Health.Active == DestinationHealth.Unhealthy ? "its /readyz probe fails"
        : destination.Health.Passive == DestinationHealth.Unhealthy ? "it could not be reached"
        : "healthy";
}
