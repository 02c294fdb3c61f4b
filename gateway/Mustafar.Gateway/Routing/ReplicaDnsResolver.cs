using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.ServiceDiscovery;

namespace Mustafar.Gateway.Routing;

/// <summary>
/// Discovery of scaled replicas: a destination whose address is a DNS name (a docker compose service scaled with
/// <c>--scale clip-encoder=3</c>, a Kubernetes headless Service) becomes one YARP destination per address it
/// resolves to, named <c>{destination}[{ip}]</c>, with its health address moved to the same IP. Names are resolved
/// again every <see cref="UpstreamOptions.DiscoveryRefresh"/>; YARP then reapplies the cluster, keeping the health
/// state of destinations that stayed. Unlike YARP's own DNS resolver this never fails the configuration: a name
/// that does not resolve (yet) keeps its last known addresses, or stays as one destination that the connection
/// layer resolves itself, so a gateway started before its services still starts.
/// IP literals and "localhost" are left alone, as is a destination with metadata <c>"Discovery": "none"</c>.
/// </summary>
public sealed class ReplicaDnsResolver : IDestinationResolver
{
    public const string DiscoveryMetadataKey = "Discovery";
    private static readonly TimeSpan ResolveTimeout = TimeSpan.FromSeconds(5);

    private readonly IOptionsMonitor<GatewayOptions> _options;
    private readonly ILogger<ReplicaDnsResolver> _logger;
    private readonly Func<string, CancellationToken, Task<IPAddress[]>> _resolve;
    private readonly ConcurrentDictionary<string, IPAddress[]> _lastKnown = new(StringComparer.OrdinalIgnoreCase);

    public ReplicaDnsResolver(IOptionsMonitor<GatewayOptions> options, ILogger<ReplicaDnsResolver> logger)
        : this(options, logger, Dns.GetHostAddressesAsync)
    {
    }

    internal ReplicaDnsResolver(IOptionsMonitor<GatewayOptions> options, ILogger<ReplicaDnsResolver> logger,
        Func<string, CancellationToken, Task<IPAddress[]>> resolve)
    {
        _options = options;
        _logger = logger;
        _resolve = resolve;
    }

    public async ValueTask<ResolvedDestinationCollection> ResolveDestinationsAsync(
        IReadOnlyDictionary<string, DestinationConfig> destinations, CancellationToken cancellationToken)
    {
        var results = new Dictionary<string, DestinationConfig>(StringComparer.OrdinalIgnoreCase);
        var resolvedAnyName = false;
        foreach (var (id, config) in destinations)
        {
            var uri = new Uri(config.Address);
            if (!IsDiscoverable(uri, config))
            {
                results[id] = config;
                continue;
            }
            resolvedAnyName = true;
            var addresses = await ResolveAsync(uri.DnsSafeHost, cancellationToken).ConfigureAwait(false);
            if (addresses.Length == 0)
            {
                results[id] = config;
                continue;
            }
            foreach (var address in addresses)
                results[$"{id}[{address}]"] = Expand(config, uri, address);
        }

        var refresh = _options.CurrentValue.Upstream.DiscoveryRefresh;
        IChangeToken? changeToken = resolvedAnyName && refresh > TimeSpan.Zero
            ? new CancellationChangeToken(new CancellationTokenSource(refresh).Token)
            : null;
        return new ResolvedDestinationCollection(results, changeToken);
    }

    private static bool IsDiscoverable(Uri uri, DestinationConfig config) =>
        uri.HostNameType == UriHostNameType.Dns
        && !string.Equals(uri.DnsSafeHost, "localhost", StringComparison.OrdinalIgnoreCase)
        && !(config.Metadata?.TryGetValue(DiscoveryMetadataKey, out var mode) == true && string.Equals(mode, "none", StringComparison.OrdinalIgnoreCase));

    /// <summary>The name's addresses (IPv4 and IPv6, sorted so destination ids are stable), or the last known
    /// ones when resolution fails, or none.</summary>
    private async Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ResolveTimeout);
            var addresses = (await _resolve(host, timeout.Token).ConfigureAwait(false))
                .Where(a => a.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
                .Distinct()
                .OrderBy(a => a.AddressFamily)
                .ThenBy(a => a.ToString(), StringComparer.Ordinal)
                .ToArray();
            if (addresses.Length > 0) _lastKnown[host] = addresses;
            return addresses;
        }
        catch (Exception error) when (error is SocketException or OperationCanceledException or ArgumentException)
        {
            var known = _lastKnown.GetValueOrDefault(host) ?? [];
            _logger.LogWarning("Could not resolve destination host {Host} ({Error}); using {Count} last known address(es)",
                host, error.Message, known.Length);
            return known;
        }
    }

    private static DestinationConfig Expand(DestinationConfig config, Uri uri, IPAddress address)
    {
        var host = address.ToString();
        var health = config.Health;
        if (!string.IsNullOrEmpty(health))
        {
            var healthUri = new Uri(health);
            // A health address on the same host moves with it; one on another host is left as configured.
            if (string.Equals(healthUri.DnsSafeHost, uri.DnsSafeHost, StringComparison.OrdinalIgnoreCase))
                health = new UriBuilder(healthUri) { Host = host }.Uri.ToString();
        }
        return config with
        {
            Address = new UriBuilder(uri) { Host = host }.Uri.ToString(),
            Health = health,
            Host = string.IsNullOrEmpty(config.Host) ? uri.Authority : config.Host,
        };
    }
}
