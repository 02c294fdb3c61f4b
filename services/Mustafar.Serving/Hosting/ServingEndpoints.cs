using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Mustafar.Serving;

/// <summary>
/// The two Kestrel endpoints of a model host: gRPC over h2c (HTTP/2 only, prior knowledge) and HTTP/1.1 for
/// probes and scrapes. After start-up it reports the ports actually bound, which matters when they were 0.
/// </summary>
public sealed class ServingEndpoints(IOptions<ServerOptions> options)
{
    private ListenOptions? _grpc;
    private ListenOptions? _http;

    /// <summary>The gRPC endpoint as bound; with a wildcard bind address, its port on loopback.</summary>
    public Uri GrpcAddress => AddressOf(_grpc, options.Value.GrpcPort);

    /// <summary>The HTTP/1.1 endpoint as bound (/healthz, /readyz, /metrics).</summary>
    public Uri HttpAddress => AddressOf(_http, options.Value.HttpPort);

    internal void Configure(KestrelServerOptions kestrel)
    {
        var server = options.Value;
        var address = server.ResolveBindAddress();
        _grpc = Listen(kestrel, address, server.GrpcPort, HttpProtocols.Http2);
        _http = Listen(kestrel, address, server.HttpPort, HttpProtocols.Http1);
    }

    private static ListenOptions Listen(KestrelServerOptions kestrel, IPAddress? address, int port, HttpProtocols protocols)
    {
        ListenOptions? captured = null;
        void Configure(ListenOptions listen)
        {
            listen.Protocols = protocols;
            captured = listen;
        }
        if (address is null) kestrel.ListenLocalhost(port, Configure);
        else kestrel.Listen(address, port, Configure);
        return captured!;
    }

    private static Uri AddressOf(ListenOptions? listen, int configuredPort)
    {
        if (listen is null) throw new InvalidOperationException("the server has not been configured yet");
        // Kestrel replaces the endpoint with the bound one, so port 0 reads as the port it picked.
        if (listen.EndPoint is not IPEndPoint bound) return new Uri($"http://localhost:{configuredPort}");
        var host = bound.Address.Equals(IPAddress.Any) ? IPAddress.Loopback
            : bound.Address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback
            : bound.Address;
        return new Uri($"http://{new IPEndPoint(host, bound.Port)}");
    }
}
