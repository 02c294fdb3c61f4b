using System.Net;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Mustafar.Serving.Tests.Host;
using Mustafar.Serving.Tests.V1;
using Grpc.Health.V1;

namespace Mustafar.Serving.Tests;

public class ShutdownTests
{
    private static ServingStatus StatusOf(TestHost host) => host.App.Services.GetRequiredService<ServingStatus>();

    [Fact]
    public async Task Shutdown_stops_accepting_then_lets_in_flight_work_finish()
    {
        await using var host = await TestHost.StartServingAsync();
        var inFlight = await host.HoldThreadAsync();

        var stopping = host.App.StopAsync();
        await Eventually.TrueAsync(() => StatusOf(host).State == ServingState.Draining, "draining");

        // The server still listens while it drains: health says NOT_SERVING and new work is refused.
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, await host.HealthAsync());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await host.GetStatusAsync("/readyz"));
        Assert.Equal(HttpStatusCode.OK, await host.GetStatusAsync("/healthz"));
        var refused = await Assert.ThrowsAsync<RpcException>(() => host.TransformAsync([1, 2, 3, 4]));
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        Assert.Contains("shutting down", refused.Status.Detail, StringComparison.Ordinal);
        Assert.False(stopping.IsCompleted);

        host.Probe.HoldGate.Set();
        Assert.Equal(TinyMlp.Width, (await inFlight).Values.Count);
        await stopping.WaitAsync(TestHost.Patience);
        Assert.Equal(ServingState.Stopped, StatusOf(host).State);
    }

    [Fact]
    public async Task A_running_generation_finishes_its_stream_during_the_drain()
    {
        var probe = new TestProbe { GateSteps = true };
        await using var host = await TestHost.StartAsync(new Dictionary<string, string>(), probe);
        await host.WaitUntilServingAsync();
        using var generation = host.Client.Count(new CountRequest { Start = 5, Length = 4 }, deadline: DateTime.UtcNow + TestHost.Patience);
        await Eventually.TrueAsync(() => probe.Decoder.SequenceStartingAt(5) is not null, "the sequence joined");

        var stopping = host.App.StopAsync();
        await Eventually.TrueAsync(() => StatusOf(host).State == ServingState.Draining, "draining");
        using var late = host.Client.Count(new CountRequest { Start = 9, Length = 1 }, deadline: DateTime.UtcNow + TestHost.Patience);
        var refused = await Assert.ThrowsAsync<RpcException>(() => late.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);

        probe.ReleaseSteps(10);
        var values = new List<long>();
        while (await generation.ResponseStream.MoveNext(CancellationToken.None)) values.Add(generation.ResponseStream.Current.Value);
        Assert.Equal([5L, 6, 7, 8], values);
        await stopping.WaitAsync(TestHost.Patience);
    }

    [Fact]
    public async Task Work_still_running_when_the_drain_times_out_fails_with_unavailable()
    {
        await using var host = await TestHost.StartServingAsync(new Dictionary<string, string> { ["Server:DrainTimeoutSeconds"] = "0.2" });
        var inFlight = await host.HoldThreadAsync();

        var stopping = host.App.StopAsync();
        var error = await Assert.ThrowsAsync<RpcException>(() => inFlight);
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains("shutting down", error.Status.Detail, StringComparison.Ordinal);

        // The forward pass itself cannot be interrupted; once it ends, the host finishes stopping.
        host.Probe.HoldGate.Set();
        await stopping.WaitAsync(TestHost.Patience);
        Assert.Equal(ServingState.Stopped, StatusOf(host).State);
    }
}
