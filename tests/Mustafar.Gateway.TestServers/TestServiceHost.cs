using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mustafar.Testing;

namespace Mustafar.Gateway.TestServers;

/// <summary>
/// Hosts one test gRPC service the way the real model services are hosted: gRPC over h2c on one loopback port,
/// and HTTP/1 <c>/healthz</c> and <c>/readyz</c> on another (what the gateway's destination Address and Health point
/// at). <see cref="Ready"/> switches /readyz between 200 and 503; <see cref="Files"/> serves static bytes (for
/// remote-image tests), also behind a redirect (/redirect/{name}).
/// </summary>
public sealed class TestServiceHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestServiceHost(WebApplication app, int grpcPort, int healthPort)
    {
        _app = app;
        GrpcPort = grpcPort;
        HealthPort = healthPort;
    }

    public int GrpcPort { get; }
    public int HealthPort { get; }
    public string GrpcAddress => $"http://127.0.0.1:{GrpcPort}";
    public string HealthAddress => $"http://127.0.0.1:{HealthPort}";
    public bool Ready { get; set; } = true;
    public bool Stopped { get; private set; }
    public Dictionary<string, byte[]> Files { get; } = new(StringComparer.Ordinal);

    public static async Task<TestServiceHost> StartAsync<TService>(TService service) where TService : class
    {
        var grpcPort = FreePorts.Next();
        var healthPort = FreePorts.Next();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = TestContentRoot.Path, EnvironmentName = "Production" });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, grpcPort, listen => listen.Protocols = HttpProtocols.Http2);
            kestrel.Listen(IPAddress.Loopback, healthPort, listen => listen.Protocols = HttpProtocols.Http1);
        });
        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = 64 * 1024 * 1024;
            grpc.MaxSendMessageSize = 64 * 1024 * 1024;
        });
        builder.Services.AddSingleton(service);
        var app = builder.Build();
        var host = new TestServiceHost(app, grpcPort, healthPort);
        app.MapGrpcService<TService>();
        app.MapGet("/healthz", () => Results.Ok());
        app.MapGet("/readyz", () => host.Ready ? Results.Ok() : Results.StatusCode(StatusCodes.Status503ServiceUnavailable));
        app.MapGet("/files/{name}", (string name) => host.Files.TryGetValue(name, out var bytes) ? Results.Bytes(bytes, "image/png") : Results.NotFound());
        app.MapGet("/redirect/{name}", (string name) => Results.Redirect($"/files/{name}"));
        await app.StartAsync().ConfigureAwait(false);
        return host;
    }

    /// <summary>Stops the server: its ports close, as when a replica dies.</summary>
    public async Task StopAsync()
    {
        if (Stopped) return;
        Stopped = true;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);
}
