using System.Collections.Concurrent;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Model;

namespace Mustafar.Gateway.Routing;

/// <summary>
/// One <see cref="GrpcChannel"/> per destination address (h2c with prior knowledge for http://), reused by every
/// call, so connections and HTTP/2 streams are shared. Channels of destinations that left the configuration (DNS
/// refresh, config reload) are disposed after a grace period that lets calls in flight on them finish.
/// </summary>
public sealed class DestinationChannels(IOptions<GatewayOptions> options) : IClusterChangeListener, IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<GrpcChannel>> _channels = new(StringComparer.OrdinalIgnoreCase);
    // Addresses per cluster, as YARP last reported them (a listener cannot ask YARP itself: YARP builds its
    // state manager with the listeners, so depending on it here would be circular).
    private readonly ConcurrentDictionary<string, string[]> _clusterAddresses = new(StringComparer.OrdinalIgnoreCase);

    public GrpcChannel For(string address) =>
        _channels.GetOrAdd(address, a => new Lazy<GrpcChannel>(() => Create(a))).Value;

    private GrpcChannel Create(string address)
    {
        var limits = options.Value.Limits;
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = options.Value.Upstream.ConnectTimeout,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
        };
        return GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = limits.MaxGrpcMessageBytes,
            MaxSendMessageSize = limits.MaxGrpcMessageBytes,
            // After a refused connection the channel fails every call at once ("Error connecting to subchannel")
            // until its next attempt, and by default the wait doubles up to 120 s. A replica that starts after the
            // gateway (the gateway's readiness already asks the generator for its model info) or restarts would then
            // be refused work long after YARP's probes see it ready. Dead replicas are kept out of the pick by those
            // probes, so retrying a connection every second at most costs nothing.
            InitialReconnectBackoff = TimeSpan.FromMilliseconds(100),
            MaxReconnectBackoff = TimeSpan.FromSeconds(1),
        });
    }

    public void OnClusterAdded(ClusterState cluster) => Record(cluster);

    public void OnClusterChanged(ClusterState cluster)
    {
        Record(cluster);
        Prune();
    }

    public void OnClusterRemoved(ClusterState cluster)
    {
        _clusterAddresses.TryRemove(cluster.ClusterId, out _);
        Prune();
    }

    private void Record(ClusterState cluster) =>
        _clusterAddresses[cluster.ClusterId] = cluster.Destinations.Values.Select(d => d.Model?.Config.Address).OfType<string>().ToArray();

    private void Prune()
    {
        var live = _clusterAddresses.Values.SelectMany(a => a).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var (address, channel) in _channels)
        {
            if (live.Contains(address) || !_channels.TryRemove(address, out _)) continue;
            if (channel.IsValueCreated)
                _ = DisposeLaterAsync(channel.Value, options.Value.Limits.RequestTimeout);
        }
    }

    private static async Task DisposeLaterAsync(GrpcChannel channel, TimeSpan grace)
    {
        await Task.Delay(grace).ConfigureAwait(false);
        channel.Dispose();
    }

    public void Dispose()
    {
        foreach (var channel in _channels.Values)
            if (channel.IsValueCreated) channel.Value.Dispose();
        _channels.Clear();
    }
}
