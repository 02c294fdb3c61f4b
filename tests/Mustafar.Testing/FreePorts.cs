using System.Net;
using System.Net.Sockets;

namespace Mustafar.Testing;

/// <summary>Loopback TCP ports that are free right now, for servers a test starts (Redis, gRPC hosts, the gateway).</summary>
public static class FreePorts
{
    /// <summary>A port the OS just handed out and released; another process could take it before the caller binds
    /// it, which the ephemeral range makes unlikely enough for tests.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
