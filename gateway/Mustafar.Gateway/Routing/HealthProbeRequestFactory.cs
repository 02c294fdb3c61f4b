using System.Net;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Mustafar.Gateway.Routing;

/// <summary>
/// Builds YARP's active health probes: <c>GET {health address}{path}</c> (path from the cluster's
/// HealthCheck.Active.Path, normally /readyz). Each destination has two addresses: <c>Address</c>, the service's
/// gRPC endpoint (h2c), and optionally <c>Health</c>, the service's HTTP/1 endpoint when it listens on a separate
/// port. YARP's default probe uses the cluster's request version (HTTP/2 only, for gRPC) everywhere, which an
/// HTTP/1-only health port refuses, so: a probe to a separate <c>Health</c> address is HTTP/1.1; a probe to the
/// gRPC address itself keeps the cluster's version. Destination metadata <c>"HealthProbeVersion": "1.1"|"2"</c>
/// overrides both.
/// </summary>
public sealed class HealthProbeRequestFactory : IProbingRequestFactory
{
    public const string VersionMetadataKey = "HealthProbeVersion";

    public HttpRequestMessage CreateRequest(ClusterModel cluster, DestinationModel destination)
    {
        var config = destination.Config;
        var separateHealth = !string.IsNullOrEmpty(config.Health);
        var baseAddress = (separateHealth ? config.Health! : config.Address).TrimEnd('/');
        var active = cluster.Config.HealthCheck?.Active;
        var path = active?.Path is { Length: > 0 } configured ? configured : "/readyz";
        var query = active?.Query is { Length: > 0 } q ? (q.StartsWith('?') ? q : "?" + q) : "";

        Version version;
        HttpVersionPolicy policy;
        if (config.Metadata?.TryGetValue(VersionMetadataKey, out var forced) == true && Version.TryParse(forced, out var parsed))
            (version, policy) = (parsed, HttpVersionPolicy.RequestVersionExact);
        else if (separateHealth)
            (version, policy) = (HttpVersion.Version11, HttpVersionPolicy.RequestVersionExact);
        else
            (version, policy) = (cluster.Config.HttpRequest?.Version ?? HttpVersion.Version20,
                cluster.Config.HttpRequest?.VersionPolicy ?? HttpVersionPolicy.RequestVersionOrLower);

        var request = new HttpRequestMessage(HttpMethod.Get, baseAddress + path + query) { Version = version, VersionPolicy = policy };
        // The configured Host names the gRPC endpoint; a probe to a separate health port goes by its own address.
        if (!separateHealth && !string.IsNullOrEmpty(config.Host)) request.Headers.Host = config.Host;
        request.Headers.UserAgent.ParseAdd("Mustafar-Gateway/1 (active health check)");
        return request;
    }
}
