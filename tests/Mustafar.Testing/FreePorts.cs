using System.Net;
using System.Net.Sockets;

namespace Mustafar.Testing;

/// <summary>
/// Loopback TCP ports that are free right now, for servers a test starts (Redis, gRPC hosts, the gateway).
/// They are drawn below the kernel's ephemeral range on purpose: a port from that range (what binding port 0 gives)
/// can become the local end of any outgoing connection between the moment it is picked and the moment the server
/// binds it, and the integration tests open thousands of connections while meshes start. CI once lost a service
/// that way ("address already in use", then exit code 134).
/// </summary>
public static class FreePorts
{
    private static readonly object Gate = new();
    private static readonly HashSet<int> Handed = [];
    private static readonly (int Low, int High) Candidates = Range();

    public static int Next()
    {
        var (low, high) = Candidates;
        lock (Gate)
        {
            for (var attempt = 0; attempt < 1000; attempt++)
            {
                var port = Random.Shared.Next(low, high);
                if (Handed.Contains(port) || !IsFree(port)) continue;
                Handed.Add(port);
                return port;
            }
        }
        throw new InvalidOperationException($"no free loopback port in [{low}, {high})");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>The 12,000 ports below the ephemeral range (Linux default 32768-60999), or 20000-32000 when the range
    /// cannot be read or leaves no room below it.</summary>
    private static (int Low, int High) Range()
    {
        const int width = 12_000;
        try
        {
            var first = int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[0],
                System.Globalization.CultureInfo.InvariantCulture);
            if (first - width >= 1024) return (first - width, first);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
        }
        return (20_000, 32_000);
    }
}
