using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Mustafar.HealthProbe;
using Mustafar.Testing;

namespace Mustafar.Deploy.Tests;

/// <summary>The probe the images run as their health check, against a real HTTP/1.1 server on loopback.</summary>
public sealed class HealthProbeTests : IAsyncLifetime
{
    // Bound by Kestrel on port 0 and read back: a port picked beforehand can be taken by another process first.
    private int _port;
    private WebApplication? _server;
    private volatile int _readyStatus = StatusCodes.Status200OK;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        // The gateway's appsettings.json is copied beside this test: its Kestrel endpoints (0.0.0.0:8080, :8081) would
        // be bound too, and collide with anything else on the machine.
        builder.Configuration.Sources.Clear();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _server = builder.Build();
        _server.MapGet("/readyz", () => Results.StatusCode(_readyStatus));
        _server.MapGet("/slow", async () =>
        {
            await Task.Delay(TimeSpan.FromSeconds(30));
            return Results.Ok();
        });
        await _server.StartAsync();
        var address = Assert.Single(_server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses);
        _port = new Uri(address).Port;
    }

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }

    [Fact]
    public async Task Healthy_service_exits_zero()
    {
        var (code, message) = await Probe.CheckAsync(Url("/readyz"), Probe.DefaultTimeout);

        Assert.Equal(Probe.Healthy, code);
        Assert.Contains("200", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unready_service_exits_one_with_the_status()
    {
        _readyStatus = StatusCodes.Status503ServiceUnavailable;

        var (code, message) = await Probe.CheckAsync(Url("/readyz"), Probe.DefaultTimeout);

        Assert.Equal(Probe.Unhealthy, code);
        Assert.Contains("503", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nothing_listening_exits_one()
    {
        var closed = FreePorts.Next();

        var (code, message) = await Probe.CheckAsync(new Uri($"http://127.0.0.1:{closed}/readyz"), Probe.DefaultTimeout);

        Assert.Equal(Probe.Unhealthy, code);
        Assert.Contains("refused", message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_service_that_does_not_answer_in_time_exits_one()
    {
        var (code, message) = await Probe.CheckAsync(Url("/slow"), TimeSpan.FromMilliseconds(300));

        Assert.Equal(Probe.Unhealthy, code);
        Assert.Contains("no answer within 0.3 s", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new string[0], "expected a URL")]
    [InlineData(new[] { "https://127.0.0.1/readyz" }, "is not an http:// URL")]
    [InlineData(new[] { "readyz" }, "is not an http:// URL")]
    [InlineData(new[] { "http://127.0.0.1/readyz", "0" }, "must be a number of seconds")]
    [InlineData(new[] { "http://127.0.0.1/readyz", "2", "3" }, "expected a URL")]
    public async Task Bad_arguments_exit_two_with_the_reason(string[] args, string expected)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await Probe.RunAsync(args, output, error);

        Assert.Equal(Probe.Usage, code);
        Assert.Contains(expected, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_prints_one_line_and_returns_the_exit_code()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await Probe.RunAsync([Url("/readyz").ToString(), "2"], output, error);

        Assert.Equal(Probe.Healthy, code);
        Assert.Equal($"{Url("/readyz")} -> 200 OK", output.ToString().Trim());
        Assert.Empty(error.ToString());
    }

    private Uri Url(string path) => new($"http://127.0.0.1:{_port}{path}");
}
