using Mustafar.ServiceDefaults;

namespace Mustafar.Gateway;

/// <summary>
/// The part of YARP's "ReverseProxy" section the gateway depends on, checked at start-up with the gateway's own
/// options: every route names a configured cluster, and every destination's <c>Address</c> (gRPC, h2c) and
/// <c>Health</c> (HTTP/1.1 probes) is an absolute http or https address. YARP reads the whole section itself.
/// </summary>
public sealed class ProxyRouteOptions : IValidatedOptions
{
    public const string SectionName = "ReverseProxy";

    public Dictionary<string, RouteEntry> Routes { get; set; } = [];

    public Dictionary<string, ClusterEntry> Clusters { get; set; } = [];

    public sealed class RouteEntry
    {
        public string? ClusterId { get; set; }
    }

    public sealed class ClusterEntry
    {
        public Dictionary<string, DestinationEntry> Destinations { get; set; } = [];
    }

    public sealed class DestinationEntry
    {
        public string? Address { get; set; }
        public string? Health { get; set; }
    }

    public IEnumerable<string> Validate()
    {
        foreach (var (id, route) in Routes)
            if (string.IsNullOrEmpty(route.ClusterId) || !Clusters.ContainsKey(route.ClusterId))
                yield return $"{SectionName}:Routes:{id}:ClusterId '{route.ClusterId}' names no cluster under {SectionName}:Clusters ({string.Join(", ", Clusters.Keys)})";
        foreach (var (cluster, entry) in Clusters)
        foreach (var (destination, address) in entry.Destinations)
        {
            var key = $"{SectionName}:Clusters:{cluster}:Destinations:{destination}";
            if (!IsHttpAddress(address.Address)) yield return $"{key}:Address must be an absolute http:// or https:// address, not '{address.Address}'";
            if (!string.IsNullOrEmpty(address.Health) && !IsHttpAddress(address.Health))
                yield return $"{key}:Health must be an absolute http:// or https:// address, not '{address.Health}'";
        }
    }

    private static bool IsHttpAddress(string? value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
}
