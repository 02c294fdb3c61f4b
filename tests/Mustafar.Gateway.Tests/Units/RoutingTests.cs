using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Mustafar.Gateway.Routing;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Mustafar.Gateway.Tests.Units;

public sealed class RoutingTests
{
    private sealed class Monitor(GatewayOptions value) : IOptionsMonitor<GatewayOptions>
    {
        public GatewayOptions CurrentValue => value;
        public GatewayOptions Get(string? name) => value;
        public IDisposable? OnChange(Action<GatewayOptions, string?> listener) => null;
    }

    private static ReplicaDnsResolver Resolver(Func<string, CancellationToken, Task<IPAddress[]>> resolve) =>
        new(new Monitor(new GatewayOptions()), NullLogger<ReplicaDnsResolver>.Instance, resolve);

    [Fact]
    public async Task A_dns_name_becomes_one_destination_per_address_with_its_health_address_moved_along()
    {
        var resolver = Resolver((host, _) => Task.FromResult(host == "clip-encoder"
            ? new[] { IPAddress.Parse("10.0.0.7"), IPAddress.Parse("10.0.0.5"), IPAddress.Parse("10.0.0.7") }
            : throw new SocketException()));
        var destinations = new Dictionary<string, DestinationConfig>
        {
            ["clip-0"] = new() { Address = "http://clip-encoder:5101", Health = "http://clip-encoder:5102" },
            ["fixed"] = new() { Address = "http://127.0.0.1:6000" },
            ["local"] = new() { Address = "http://localhost:6001" },
        };

        var resolved = await resolver.ResolveDestinationsAsync(destinations, CancellationToken.None);

        Assert.Equal(["clip-0[10.0.0.5]", "clip-0[10.0.0.7]", "fixed", "local"], resolved.Destinations.Keys.Order(StringComparer.Ordinal));
        var replica = resolved.Destinations["clip-0[10.0.0.5]"];
        Assert.Equal("http://10.0.0.5:5101/", replica.Address);
        Assert.Equal("http://10.0.0.5:5102/", replica.Health);
        Assert.Equal("clip-encoder:5101", replica.Host);
        Assert.Same(destinations["fixed"], resolved.Destinations["fixed"]);
        Assert.NotNull(resolved.ChangeToken); // names are resolved again periodically
    }

    [Fact]
    public async Task A_name_that_stops_resolving_keeps_its_last_addresses_and_one_never_resolved_stays_as_configured()
    {
        var fail = false;
        var resolver = Resolver((host, _) => fail || host == "never" ? throw new SocketException() : Task.FromResult(new[] { IPAddress.Parse("10.0.0.9") }));
        var destinations = new Dictionary<string, DestinationConfig>
        {
            ["a"] = new() { Address = "http://pool:1" },
            ["b"] = new() { Address = "http://never:2" },
        };
        await resolver.ResolveDestinationsAsync(destinations, CancellationToken.None);
        fail = true;
        var resolved = await resolver.ResolveDestinationsAsync(destinations, CancellationToken.None);
        Assert.Equal("http://10.0.0.9:1/", resolved.Destinations["a[10.0.0.9]"].Address);
        Assert.Equal("http://never:2", resolved.Destinations["b"].Address);
    }

    [Fact]
    public async Task Only_ip_literals_and_opted_out_names_need_no_refresh()
    {
        var resolver = Resolver((_, _) => throw new InvalidOperationException("must not resolve"));
        var resolved = await resolver.ResolveDestinationsAsync(new Dictionary<string, DestinationConfig>
        {
            ["ip"] = new() { Address = "http://[::1]:5000" },
            ["named"] = new() { Address = "http://svc:5000", Metadata = new Dictionary<string, string> { ["Discovery"] = "none" } },
        }, CancellationToken.None);
        Assert.Equal(2, resolved.Destinations.Count);
        Assert.Null(resolved.ChangeToken);
    }

    [Fact]
    public async Task Real_dns_resolves_this_machines_name()
    {
        var resolver = new ReplicaDnsResolver(new Monitor(new GatewayOptions()), NullLogger<ReplicaDnsResolver>.Instance);
        var host = Dns.GetHostName();
        var resolved = await resolver.ResolveDestinationsAsync(
            new Dictionary<string, DestinationConfig> { ["d"] = new() { Address = $"http://{host}:5000" } }, CancellationToken.None);
        Assert.NotEmpty(resolved.Destinations);
        Assert.All(resolved.Destinations.Values, d => Assert.Equal(5000, new Uri(d.Address).Port));
    }

    private static (ClusterModel, DestinationModel) Models(string address, string? health, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var cluster = new ClusterModel(new ClusterConfig
        {
            ClusterId = "clip",
            HttpRequest = new ForwarderRequestConfig { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact },
            HealthCheck = new HealthCheckConfig { Active = new ActiveHealthCheckConfig { Enabled = true, Path = "/readyz" } },
        }, new HttpMessageInvoker(new HttpClientHandler()));
        return (cluster, new DestinationModel(new DestinationConfig { Address = address, Health = health, Metadata = metadata }));
    }

    [Fact]
    public void Probes_of_a_separate_health_address_are_http1_and_probes_of_the_grpc_address_keep_http2()
    {
        var factory = new HealthProbeRequestFactory();
        var (cluster, separate) = Models("http://10.0.0.5:5101", "http://10.0.0.5:5102");
        var probe = factory.CreateRequest(cluster, separate);
        Assert.Equal("http://10.0.0.5:5102/readyz", probe.RequestUri!.ToString());
        Assert.Equal(HttpVersion.Version11, probe.Version);

        var (_, same) = Models("http://10.0.0.5:5101", null);
        probe = factory.CreateRequest(cluster, same);
        Assert.Equal("http://10.0.0.5:5101/readyz", probe.RequestUri!.ToString());
        Assert.Equal(HttpVersion.Version20, probe.Version);
        Assert.Equal(HttpVersionPolicy.RequestVersionExact, probe.VersionPolicy);

        var (_, forced) = Models("http://10.0.0.5:5101", null, new Dictionary<string, string> { ["HealthProbeVersion"] = "1.1" });
        Assert.Equal(HttpVersion.Version11, factory.CreateRequest(cluster, forced).Version);
    }

    [Fact]
    public void The_pipeline_can_count_its_calls_in_yarps_destination_load()
    {
        Assert.True(DestinationLoad.Supported, "YARP's internal concurrency counter moved; load balancing is blind to pipeline calls");
        var destination = new DestinationState("d");
        DestinationLoad.Enter(destination);
        DestinationLoad.Enter(destination);
        Assert.Equal(2, destination.ConcurrentRequestCount);
        DestinationLoad.Leave(destination);
        Assert.Equal(1, destination.ConcurrentRequestCount);
    }
}
