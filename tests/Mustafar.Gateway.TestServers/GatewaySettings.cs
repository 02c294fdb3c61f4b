using System.Globalization;

namespace Mustafar.Gateway.TestServers;

/// <summary>The configuration of a test gateway, in the same keys as appsettings.json (a pool is a YARP cluster
/// whose destinations are just addresses: test servers here, real services in integration tests).</summary>
public sealed class GatewaySettings
{
    public Dictionary<string, string?> Values { get; } = new(StringComparer.OrdinalIgnoreCase);

    public GatewaySettings Set(string key, object value)
    {
        Values[key] = Convert.ToString(value, CultureInfo.InvariantCulture);
        return this;
    }

    /// <summary>A pool: route by gRPC service path, HTTP/2 only, PowerOfTwoChoices, active probes of each
    /// destination's health address every <paramref name="probeInterval"/>, passive health.</summary>
    public GatewaySettings Pool(string cluster, string grpcService, IEnumerable<(string Address, string? Health)> destinations, TimeSpan? probeInterval = null)
    {
        var route = $"ReverseProxy:Routes:{cluster}";
        Set($"{route}:ClusterId", cluster);
        Set($"{route}:Match:Path", $"/{grpcService}/{{**catch-all}}");
        var c = $"ReverseProxy:Clusters:{cluster}";
        Set($"{c}:LoadBalancingPolicy", "PowerOfTwoChoices");
        Set($"{c}:HttpRequest:Version", "2");
        Set($"{c}:HttpRequest:VersionPolicy", "RequestVersionExact");
        Set($"{c}:HealthCheck:Active:Enabled", "true");
        Set($"{c}:HealthCheck:Active:Interval", probeInterval ?? TimeSpan.FromSeconds(1));
        // A probe that times out takes the destination out (a pool never hands out unhealthy destinations), so the
        // timeout is generous for a loaded test machine; a stopped or unready server fails its probe at once anyway.
        Set($"{c}:HealthCheck:Active:Timeout", TimeSpan.FromSeconds(5));
        Set($"{c}:HealthCheck:Active:Policy", "ConsecutiveFailures");
        Set($"{c}:HealthCheck:Active:Path", "/readyz");
        Set($"{c}:HealthCheck:Passive:Enabled", "true");
        Set($"{c}:HealthCheck:Passive:Policy", "Unreachable");
        Set($"{c}:HealthCheck:Passive:ReactivationPeriod", TimeSpan.FromMinutes(5));
        Set($"{c}:Metadata:ConsecutiveFailuresHealthPolicy.Threshold", "1");
        var index = 0;
        foreach (var (address, health) in destinations)
        {
            var d = $"{c}:Destinations:{cluster}-{index++}";
            Set($"{d}:Address", address);
            if (health is not null) Set($"{d}:Health", health);
        }
        return this;
    }

    public GatewaySettings Pool(string cluster, string grpcService, IEnumerable<TestServiceHost> hosts) =>
        Pool(cluster, grpcService, hosts.Select(h => (h.GrpcAddress, (string?)h.HealthAddress)));
}
