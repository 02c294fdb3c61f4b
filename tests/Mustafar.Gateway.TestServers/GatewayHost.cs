using System.Net;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Mustafar.Gateway.Observability;
using Mustafar.Testing;
using Mustafar.Contracts.Vqa.V1;

namespace Mustafar.Gateway.TestServers;

/// <summary>A real gateway (Kestrel on two loopback ports: HTTP/1 for the HTTP API, h2c for gRPC and the YARP
/// routes), built by <see cref="GatewayApplication"/> from the given settings only.</summary>
public sealed class GatewayHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GatewayHost(WebApplication app, int httpPort, int grpcPort)
    {
        _app = app;
        HttpPort = httpPort;
        GrpcPort = grpcPort;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), Timeout = TimeSpan.FromSeconds(60) };
        Grpc = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}", new GrpcChannelOptions { MaxReceiveMessageSize = 64 << 20, MaxSendMessageSize = 64 << 20 });
    }

    public int HttpPort { get; }
    public int GrpcPort { get; }
    public HttpClient Http { get; }
    public GrpcChannel Grpc { get; }
    public IServiceProvider Services => _app.Services;
    public GatewayMetrics Metrics => _app.Services.GetRequiredService<GatewayMetrics>();
    public VisualQuestionAnswering.VisualQuestionAnsweringClient Vqa => new(Grpc);

    public static async Task<GatewayHost> StartAsync(GatewaySettings settings)
    {
        var httpPort = FreePorts.Next();
        var grpcPort = FreePorts.Next();
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Mustafar"] = "Warning",
        };
        foreach (var (key, value) in settings.Values) values[key] = value;
        values["Kestrel:Endpoints:Http:Url"] = $"http://127.0.0.1:{httpPort}";
        values["Kestrel:Endpoints:Http:Protocols"] = "Http1";
        values["Kestrel:Endpoints:Grpc:Url"] = $"http://127.0.0.1:{grpcPort}";
        values["Kestrel:Endpoints:Grpc:Protocols"] = "Http2";
        var app = GatewayApplication.Build(new WebApplicationOptions { ContentRootPath = TestContentRoot.Path, EnvironmentName = "Production", Args = [] },
            builder => builder.Configuration.AddInMemoryCollection(values));
        await app.StartAsync().ConfigureAwait(false);
        return new GatewayHost(app, httpPort, grpcPort);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        Grpc.Dispose();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
