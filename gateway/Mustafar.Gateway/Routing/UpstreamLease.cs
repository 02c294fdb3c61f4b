using Grpc.Net.Client;
using Yarp.ReverseProxy.Model;

namespace Mustafar.Gateway.Routing;

/// <summary>One call's hold on a destination: the channel to call it on, counted in the destination's
/// concurrent-request count (what the load-balancing policies compare) until disposed.</summary>
public sealed class UpstreamLease : IDisposable
{
    private int _disposed;

    internal UpstreamLease(ClusterState cluster, DestinationState destination, GrpcChannel channel)
    {
        Cluster = cluster;
        Destination = destination;
        Channel = channel;
        DestinationLoad.Enter(destination);
    }

    public ClusterState Cluster { get; }
    public DestinationState Destination { get; }
    public GrpcChannel Channel { get; }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) DestinationLoad.Leave(Destination);
    }
}
