using System.Net;
using System.Net.Sockets;

namespace Mustafar.Cli;

/// <summary>Free loopback ports for the local mesh: bound together, then released, so they are distinct.</summary>
public static class FreePorts
{
    public static int Run(CommandLine line)
    {
        var count = line.Positional.Count > 0 && int.TryParse(line.Positional[0], out var n) && n > 0 ? n : throw new UsageException("free-ports needs a count");
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        foreach (var listener in listeners) listener.Start();
        Console.WriteLine(string.Join(' ', listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)));
        foreach (var listener in listeners) listener.Stop();
        return 0;
    }
}
