using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Mustafar.Serving.Tests.Host;
using Mustafar.Serving.Tests.V1;

namespace Mustafar.Serving.Tests;

/// <summary>Continuous batching through the test host's Count stream, decoded by <see cref="CountingDecoder"/>.</summary>
public class StepSchedulerTests
{
    private static Dictionary<string, string> Limits(int maxBatch, int queue = 64) => new()
    {
        ["Batching:MaxBatchSize"] = maxBatch.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Batching:QueueCapacity"] = queue.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static AsyncServerStreamingCall<CountResponse> Count(TestHost host, long start, int length, CancellationToken cancellationToken = default) =>
        host.Client.Count(new CountRequest { Start = start, Length = length }, deadline: DateTime.UtcNow + TestHost.Patience,
            cancellationToken: cancellationToken);

    private static async Task<List<CountResponse>> ReadAllAsync(AsyncServerStreamingCall<CountResponse> call)
    {
        var received = new List<CountResponse>();
        while (await call.ResponseStream.MoveNext(CancellationToken.None)) received.Add(call.ResponseStream.Current);
        return received;
    }

    private static async Task<CountResponse> ReadOneAsync(AsyncServerStreamingCall<CountResponse> call)
    {
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        return call.ResponseStream.Current;
    }

    [Fact]
    public async Task Sixteen_concurrent_callers_each_get_exactly_their_own_tokens_decoded_in_shared_steps()
    {
        await using var host = await TestHost.StartServingAsync(Limits(maxBatch: 8));
        // Steps wait until every caller has submitted, so that the sixteen really overlap on any machine.
        host.Probe.GateSteps = true;
        var calls = Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
        {
            using var call = Count(host, start: i * 1000, length: 5 + i % 4);
            return await ReadAllAsync(call);
        })).ToArray();
        await Eventually.TrueAsync(() => host.Probe.Decoder.Adds + host.Service.Counter.QueueDepth == 16, "sixteen sequences submitted");
        host.Probe.GateSteps = false;
        host.Probe.ReleaseSteps(1);
        var results = await Task.WhenAll(calls);

        for (var i = 0; i < 16; i++)
        {
            var expected = Enumerable.Range(0, 5 + i % 4).Select(k => (long)(i * 1000 + k));
            Assert.Equal(expected, results[i].Select(r => r.Value));
        }
        Assert.Equal(8, host.Probe.Decoder.MaxActive);
        Assert.Contains(results.SelectMany(r => r), r => r.BatchSize > 1);
        var metrics = await host.MetricsAsync();
        Assert.Equal(results.Sum(r => r.Count), PrometheusText.Value(metrics, "mustafar_generated_tokens_total", "queue=\"count\""));
    }

    [Fact]
    public async Task New_sequences_join_at_step_boundaries_without_disturbing_running_ones()
    {
        var probe = new TestProbe { GateSteps = true };
        await using var host = await TestHost.StartAsync(Limits(maxBatch: 4), probe);
        await host.WaitUntilServingAsync();

        using var first = Count(host, start: 100, length: 5);
        probe.ReleaseSteps(2);
        Assert.Equal(100, (await ReadOneAsync(first)).Value);
        Assert.Equal(101, (await ReadOneAsync(first)).Value);

        // Step 3 has begun (its boundary passed) and waits for a permit: the second sequence must wait for the next boundary.
        await Eventually.TrueAsync(() => probe.StepsStarted == 3, "step 3 started");
        using var second = Count(host, start: 200, length: 2);
        await Eventually.TrueAsync(() => host.Service.Counter.QueueDepth == 1, "the second sequence waits for a boundary");
        probe.ReleaseSteps(10);
        var restOfFirst = await ReadAllAsync(first);
        var allOfSecond = await ReadAllAsync(second);

        Assert.Equal([102L, 103, 104], restOfFirst.Select(r => r.Value));
        Assert.Equal([200L, 201], allOfSecond.Select(r => r.Value));
        Assert.All(allOfSecond, r => Assert.Equal(2, r.BatchSize));
        // The second sequence joined between steps 3 and 4 and ran two steps beside the first; both then left.
        Assert.Equal(
            ["add 100", "step [100]", "step [100]", "step [100]", "add 200", "step [100,200]", "step [100,200]", "remove 100", "remove 200"],
            probe.Decoder.Events);
    }

    [Fact]
    public async Task At_most_max_batch_sequences_decode_together_and_the_rest_join_as_others_finish()
    {
        await using var host = await TestHost.StartServingAsync(Limits(maxBatch: 2));
        host.Probe.GateSteps = true;
        using var a = Count(host, start: 1, length: 2);
        using var b = Count(host, start: 2, length: 4);
        using var c = Count(host, start: 3, length: 1);
        await Eventually.TrueAsync(() => host.Probe.Decoder.Adds + host.Service.Counter.QueueDepth == 3, "three sequences submitted");
        host.Probe.ReleaseSteps(20);
        await Task.WhenAll(ReadAllAsync(a), ReadAllAsync(b), ReadAllAsync(c));

        Assert.Equal(2, host.Probe.Decoder.MaxActive);
        var events = host.Probe.Decoder.Events.ToList();
        // Whichever sequence arrived third joined only after one of the first two had left.
        var thirdAdd = events.Select((e, i) => (e, i)).Where(x => x.e.StartsWith("add", StringComparison.Ordinal)).ElementAt(2).i;
        var firstRemove = events.FindIndex(e => e.StartsWith("remove", StringComparison.Ordinal));
        Assert.True(thirdAdd > firstRemove, string.Join(" | ", events));
    }

    [Fact]
    public async Task Cancelling_a_generation_stops_it_within_a_step_or_two()
    {
        var probe = new TestProbe { GateSteps = true };
        await using var host = await TestHost.StartAsync(Limits(maxBatch: 4), probe);
        await host.WaitUntilServingAsync();
        using var cancel = new CancellationTokenSource();
        using var call = Count(host, start: 0, length: 1000, cancel.Token);

        probe.ReleaseSteps(3);
        for (var k = 0; k < 3; k++) Assert.Equal(k, (await ReadOneAsync(call)).Value);
        var id = probe.Decoder.SequenceStartingAt(0)!.Value;
        var stepsAtCancel = probe.Decoder.StepsOf(id);
        await cancel.CancelAsync();
        // Count from the moment the server saw the cancellation (its handler ended), not from the client's cancel,
        // which reaches the server some time later.
        var status = host.App.Services.GetRequiredService<ServingStatus>();
        await Eventually.TrueAsync(() => status.InFlight == 0, "the server saw the cancellation");
        probe.ReleaseSteps(50);
        await Eventually.TrueAsync(() => probe.Decoder.WasRemoved(id), "the sequence left the decoder");

        Assert.InRange(probe.Decoder.StepsOf(id) - stepsAtCancel, 0, 2);
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        await Eventually.TrueAsync(() => host.Service.Counter.ActiveCount == 0, "no active sequences");
    }

    [Fact]
    public async Task A_full_join_queue_refuses_and_a_cancelled_waiting_sequence_never_joins()
    {
        var probe = new TestProbe { GateSteps = true };
        await using var host = await TestHost.StartAsync(Limits(maxBatch: 1, queue: 1), probe);
        await host.WaitUntilServingAsync();
        using var active = Count(host, start: 10, length: 3);
        await Eventually.TrueAsync(() => probe.Decoder.SequenceStartingAt(10) is not null, "the first sequence joined");
        using var cancelWaiting = new CancellationTokenSource();
        using var waiting = Count(host, start: 20, length: 3, cancelWaiting.Token);
        await Eventually.TrueAsync(() => host.Service.Counter.QueueDepth == 1, "the second sequence waits");

        using var refused = Count(host, start: 30, length: 3);
        var full = await Assert.ThrowsAsync<RpcException>(() => refused.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.ResourceExhausted, full.StatusCode);
        Assert.Contains("'count' queue is full", full.Status.Detail, StringComparison.Ordinal);

        await cancelWaiting.CancelAsync();
        await Eventually.TrueAsync(() => host.Service.Counter.QueueDepth == 0, "the cancelled sequence left the queue");
        probe.ReleaseSteps(10);
        Assert.Equal([10L, 11, 12], (await ReadAllAsync(active)).Select(r => r.Value));
        Assert.Null(probe.Decoder.SequenceStartingAt(20));
        Assert.Null(probe.Decoder.SequenceStartingAt(30));
    }

    [Fact]
    public async Task A_sequence_the_decoder_refuses_fails_alone_with_its_field_named()
    {
        await using var host = await TestHost.StartServingAsync(Limits(maxBatch: 4));
        using var bad = Count(host, start: -5, length: 3);
        var error = await Assert.ThrowsAsync<RpcException>(() => ReadAllAsync(bad));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("start: must not be negative", error.Status.Detail, StringComparison.Ordinal);

        using var zero = Count(host, start: 1, length: 0);
        var invalid = await Assert.ThrowsAsync<RpcException>(() => ReadAllAsync(zero));
        Assert.Equal("length: must be positive, got 0", invalid.Status.Detail);

        using var good = Count(host, start: 7, length: 2);
        Assert.Equal([7L, 8], (await ReadAllAsync(good)).Select(r => r.Value));
    }

    [Fact]
    public async Task A_failing_step_fails_its_sequences_and_the_scheduler_keeps_serving()
    {
        var probe = new TestProbe { GateSteps = true };
        await using var host = await TestHost.StartAsync(Limits(maxBatch: 4), probe);
        await host.WaitUntilServingAsync();
        using var bystander = Count(host, start: 1, length: 100);
        await Eventually.TrueAsync(() => probe.Decoder.SequenceStartingAt(1) is not null, "the bystander joined");
        using var exploding = Count(host, start: CountingDecoder.ExplodingStart, length: 3);
        await Eventually.TrueAsync(() => host.Service.Counter.QueueDepth == 1, "the exploding sequence waits");
        // The bystander's first step is already waiting for its permit; the exploding sequence joins after it.
        probe.ReleaseSteps(2);

        foreach (var call in new[] { bystander, exploding })
        {
            var error = await Assert.ThrowsAsync<RpcException>(() => ReadAllAsync(call));
            Assert.Equal(StatusCode.Internal, error.StatusCode);
        }
        probe.GateSteps = false;
        probe.ReleaseSteps(100);
        using var after = Count(host, start: 50, length: 2);
        Assert.Equal([50L, 51], (await ReadAllAsync(after)).Select(r => r.Value));
    }
}
