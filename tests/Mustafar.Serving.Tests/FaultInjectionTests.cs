using System.Diagnostics;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Mustafar.Serving.Tests.Host;
using Mustafar.ServiceDefaults;

namespace Mustafar.Serving.Tests;

/// <summary>The chaos-testing knob Mustafar:Faults:QueueDelayMs: off by default, it holds every request in the
/// batcher's queue; a request whose deadline passes meanwhile leaves the queue, is counted as expired and never
/// reaches the model.</summary>
public class FaultInjectionTests
{
    private const int DelayMs = 1500;

    [Fact]
    public async Task An_injected_queue_delay_holds_requests_and_one_whose_deadline_passes_meanwhile_never_runs()
    {
        await using var host = await TestHost.StartServingAsync(new Dictionary<string, string> { ["Faults:QueueDelayMs"] = $"{DelayMs}" });
        const float marker = 6161;

        var expired = await Assert.ThrowsAsync<RpcException>(() =>
            host.TransformAsync([marker, 0, 0, 0], deadline: DateTime.UtcNow.AddMilliseconds(300)));
        Assert.Equal(StatusCode.DeadlineExceeded, expired.StatusCode);
        await Eventually.TrueAsync(() => host.Service.Batcher.QueueDepth == 0, "the expired request left the queue");

        // A later request waits out the delay too (a bound the batcher guarantees, not a speed) and then runs alone.
        var clock = Stopwatch.StartNew();
        var served = await host.TransformAsync([7, 0, 0, 0]);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(DelayMs), $"served after {clock.Elapsed}, before the injected delay");
        Assert.Equal(1, served.BatchSize);

        Assert.DoesNotContain(marker, host.Probe.ComputedMarkers);
        var metrics = await host.MetricsAsync();
        Assert.Equal(1, PrometheusText.Value(metrics, ServingMetrics.QueueExpired, "queue=\"transform\""));
        Assert.Equal(1, PrometheusText.Value(metrics, "mustafar_batch_size_count", "queue=\"transform\""));
        // The client's own deadline timer may reset the stream a moment before the server's fires: either status is
        // the call ending unrun.
        Assert.Equal(1, PrometheusText.Value(metrics, "mustafar_requests_total", "code=\"DeadlineExceeded\"")
            + PrometheusText.Value(metrics, "mustafar_requests_total", "code=\"Cancelled\""));
        Assert.Contains(host.Probe.Logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("FAULT INJECTION IS ON", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Without_the_knob_nothing_is_injected_and_a_full_batch_runs_at_once()
    {
        await using var host = await TestHost.StartServingAsync(new Dictionary<string, string>
        {
            ["Batching:MaxBatchSize"] = "2",
            ["Batching:MaxBatchDelayMs"] = "60000",
        });
        // Two requests fill a batch, which runs without waiting for the (one-minute) batch delay.
        var served = await Task.WhenAll(host.TransformAsync([1, 0, 0, 0]), host.TransformAsync([2, 0, 0, 0]));
        Assert.All(served, s => Assert.Equal(2, s.BatchSize));
        Assert.DoesNotContain(host.Probe.Logs.Entries, e => e.Message.Contains("FAULT INJECTION", StringComparison.Ordinal));
        Assert.Equal(0, PrometheusText.Value(await host.MetricsAsync(), ServingMetrics.QueueExpired, "queue=\"transform\""));
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("600001")]
    [InlineData("NaN")]
    public void An_out_of_range_delay_stops_the_host_naming_the_key(string value)
    {
        var folder = TestHost.NewCheckpointFolder();
        try
        {
            var error = Assert.ThrowsAny<Exception>(() =>
                TestHost.Build(folder, new Dictionary<string, string> { ["Faults:QueueDelayMs"] = value }, new TestProbe()));
            Assert.Contains(StartupValidation.ConfigurationErrors(error)!, f => f.StartsWith("Mustafar:Faults:QueueDelayMs must be between 0 and 600000", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
