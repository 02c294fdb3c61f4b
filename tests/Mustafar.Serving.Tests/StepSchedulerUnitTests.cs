using Microsoft.Extensions.Logging.Abstractions;
using Mustafar.Serving.Tests.Host;
using Mustafar.Serving.Tests.V1;

namespace Mustafar.Serving.Tests;

/// <summary>The scheduler without gRPC, where a caller that stops reading can be made exactly.</summary>
public class StepSchedulerUnitTests
{
    [Fact]
    public async Task A_caller_that_falls_a_buffer_behind_loses_its_sequence_and_others_go_on()
    {
        using var thread = new InferenceThread("test-inference");
        var status = new ServingStatus("unit");
        status.MarkReady();
        // One step per output the reader takes, so that only the stalled caller can fall behind.
        var probe = new TestProbe { GateSteps = true };
        probe.ReleaseSteps(1);
        var scheduler = new StepScheduler<CountRequest, CountResponse>("count", new BatchingLimits(4, TimeSpan.Zero, 8, StreamBufferCapacity: 2),
            thread, () => new CountingDecoder(probe), status, new ServingMetrics("unit"), NullLogger.Instance);

        var stalled = scheduler.Submit(new CountRequest { Start = 0, Length = 10 }, CancellationToken.None); // never read until failed
        var reader = scheduler.Submit(new CountRequest { Start = 100, Length = 5 }, CancellationToken.None);
        var values = new List<long>();
        await foreach (var output in reader)
        {
            values.Add(output.Value);
            probe.ReleaseSteps(1);
        }
        await Eventually.TrueAsync(() => probe.Decoder.WasRemoved(probe.Decoder.SequenceStartingAt(0)!.Value), "the stalled sequence left");
        probe.GateSteps = false;

        Assert.Equal([100L, 101, 102, 103, 104], values);
        var buffered = new List<long>();
        var error = await Assert.ThrowsAsync<QueueFullException>(async () =>
        {
            await foreach (var output in stalled) buffered.Add(output.Value);
        });
        Assert.Equal([0L, 1], buffered);
        Assert.Contains("fell 2 outputs behind", error.Message, StringComparison.Ordinal);

        ((IWorkload)scheduler).Stop(new ServiceUnavailableException("test over"));
        await ((IWorkload)scheduler).Completion.WaitAsync(TestHost.Patience);
    }

    [Fact]
    public async Task Stopping_fails_waiting_and_active_sequences_at_once()
    {
        using var thread = new InferenceThread("test-inference");
        var status = new ServingStatus("unit");
        status.MarkReady();
        var probe = new TestProbe { GateSteps = true };
        var scheduler = new StepScheduler<CountRequest, CountResponse>("count", new BatchingLimits(1, TimeSpan.Zero, 8),
            thread, () => new CountingDecoder(probe), status, new ServingMetrics("unit"), NullLogger.Instance);
        var active = scheduler.Submit(new CountRequest { Start = 1, Length = 100 }, CancellationToken.None);
        var waiting = scheduler.Submit(new CountRequest { Start = 2, Length = 100 }, CancellationToken.None);
        await Eventually.TrueAsync(() => probe.Decoder.SequenceStartingAt(1) is not null && scheduler.QueueDepth == 1, "one active, one waiting");

        ((IWorkload)scheduler).Stop(new ServiceUnavailableException("shutting down"));
        foreach (var stream in new[] { active, waiting })
            await Assert.ThrowsAsync<ServiceUnavailableException>(async () =>
            {
                await foreach (var _ in stream) { }
            });
        probe.GateSteps = false;
        probe.ReleaseSteps(10);
        await ((IWorkload)scheduler).Completion.WaitAsync(TestHost.Patience);
        Assert.True(probe.Decoder.WasRemoved(probe.Decoder.SequenceStartingAt(1)!.Value));
        Assert.Throws<ServiceUnavailableException>(() => scheduler.Submit(new CountRequest { Start = 3, Length = 1 }, CancellationToken.None));
    }
}
