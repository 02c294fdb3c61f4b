using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Mustafar.Gateway.Caching;
using Mustafar.Gateway.Clients;
using Mustafar.Gateway.Routing;
using Mustafar.Contracts.Generation.V1;
using Yarp.ReverseProxy;

namespace Mustafar.Gateway.Api;

/// <summary>
/// Whether the gateway can answer questions now: the generator and CLIP pools have a healthy destination
/// (<see cref="HealthyDestinations"/>, what the pipeline and the proxied routes pick from), and so does the diffusion
/// pool unless the generator is known to be CLIP-only. Redis is not required (the cache is
/// optional by design), but its state is reported. Serves /readyz and the gRPC health service.
/// </summary>
public sealed class Readiness(IProxyStateLookup proxyState, IOptions<GatewayOptions> options, GeneratorClient generator, RedisConnection redis) : IHealthCheck
{
    public sealed record PoolState(string Cluster, int Destinations, int Available, bool Required);

    public (bool Ready, IReadOnlyList<PoolState> Pools, string Cache) Check()
    {
        var pools = options.Value.Pools;
        var clipOnly = generator.Info.GetAsync(CancellationToken.None) is { IsCompletedSuccessfully: true } info
            && info.Result.FusionMode == FusionMode.ClipOnly;
        var states = new[] { State(pools.Generator, true), State(pools.Clip, true), State(pools.Diffusion, !clipOnly) };
        var ready = states.All(s => !s.Required || s.Available > 0);
        var cache = !options.Value.Cache.Enabled ? "disabled" : redis.Database is null ? "disconnected" : "connected";
        return (ready, states, cache);
    }

    private PoolState State(string cluster, bool required) =>
        proxyState.TryGetCluster(cluster, out var state)
            ? new PoolState(cluster, state.DestinationsState.AllDestinations.Count, HealthyDestinations.Of(state).Count, required)
            : new PoolState(cluster, 0, 0, required);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var state = Check();
        var summary = string.Join(", ", state.Pools.Select(p => $"{p.Cluster} {p.Available}/{p.Destinations}"));
        var data = new Dictionary<string, object> { [StateKey] = state };
        return Task.FromResult(state.Ready ? HealthCheckResult.Healthy(summary, data) : HealthCheckResult.Unhealthy(summary, data: data));
    }

    /// <summary>/readyz: the pools and the cache as JSON, from the state the check saw (200 ready, 503 not).</summary>
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        var (ready, pools, cache) = ((bool, IReadOnlyList<PoolState>, string))report.Entries.Values
            .Select(entry => entry.Data.GetValueOrDefault(StateKey)).OfType<(bool, IReadOnlyList<PoolState>, string)>().Single();
        return Results.Json(new
        {
            status = ready ? "ready" : "not_ready",
            pools = pools.Select(p => new { cluster = p.Cluster, destinations = p.Destinations, available = p.Available, required = p.Required }),
            cache,
        }, statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable).ExecuteAsync(context);
    }

    private const string StateKey = "state";
}
