using Grpc.Core;
using Mustafar.Serving.Tests.Host;

namespace Mustafar.Serving.Tests;

public class BatchingTests
{
    private static readonly Dictionary<string, string> EightPerBatch = new()
    {
        ["Batching:MaxBatchSize"] = "8",
        ["Batching:MaxBatchDelayMs"] = "20",
        ["Batching:QueueCapacity"] = "64",
    };

    private static float[] Row(int i) => [i, i * 0.5f, -i, 1f / (i + 1)];

    [Fact]
    public async Task Sixteen_concurrent_clients_are_batched_and_each_gets_its_own_correct_result()
    {
        await using var host = await TestHost.StartServingAsync(EightPerBatch);
        // Hold the inference thread so that all sixteen requests are queued before the first batch forms: batching
        // then does not depend on how fast this machine is.
        var held = await host.HoldThreadAsync();
        var calls = Enumerable.Range(0, 16).Select(i => Task.Run(() => host.TransformAsync(Row(i)))).ToArray();
        await Eventually.TrueAsync(() => host.Service.Batcher.QueueDepth == 16, "sixteen requests queued");
        host.Probe.HoldGate.Set();
        await held;
        var responses = await Task.WhenAll(calls);

        using var direct = TinyMlp.Load(host.CheckpointFolder);
        var expected = direct.Run(Enumerable.Range(0, 16).Select(Row).ToArray());
        for (var i = 0; i < 16; i++)
        {
            Assert.Equal(8, responses[i].BatchSize);
            Assert.Equal(expected[i], responses[i].Values.ToArray(), new FloatTolerance(1e-5f));
        }
        var metrics = await host.MetricsAsync();
        Assert.True(PrometheusText.Value(metrics, "mustafar_batch_size_sum", "queue=\"transform\"") >= 16);
        // Two batches of eight and the held batch of one: the mean batch size is above one.
        Assert.Equal(3, PrometheusText.Value(metrics, "mustafar_batch_size_count", "queue=\"transform\""));
    }

    [Fact]
    public async Task Batching_happens_without_any_help_when_clients_arrive_together()
    {
        await using var host = await TestHost.StartServingAsync(new Dictionary<string, string>
        {
            // A full batch runs at once; the long delay only matters if the clients straggle on a loaded machine.
            ["Batching:MaxBatchSize"] = "16",
            ["Batching:MaxBatchDelayMs"] = "5000",
        });
        using var start = new ManualResetEventSlim();
        var calls = Enumerable.Range(0, 16).Select(i => Task.Run(() =>
        {
            start.Wait(TestHost.Patience);
            return host.TransformAsync(Row(i));
        })).ToArray();
        start.Set();
        var responses = await Task.WhenAll(calls);
        Assert.Contains(responses, r => r.BatchSize > 1);
        var metrics = await host.MetricsAsync();
        var sum = PrometheusText.Value(metrics, "mustafar_batch_size_sum", "queue=\"transform\"");
        var count = PrometheusText.Value(metrics, "mustafar_batch_size_count", "queue=\"transform\"");
        Assert.Equal(16, sum);
        Assert.True(count < 16, $"16 requests ran in {count} batches");
    }

    [Fact]
    public async Task Only_requests_with_the_same_compatibility_key_share_a_batch()
    {
        await using var host = await TestHost.StartServingAsync(EightPerBatch);
        var held = await host.HoldThreadAsync();
        var calls = Enumerable.Range(0, 12).Select(i => (Group: i % 3, Call: host.TransformAsync(Row(i), group: i % 3))).ToArray();
        await Eventually.TrueAsync(() => host.Service.Batcher.QueueDepth == 12, "twelve requests queued");
        host.Probe.HoldGate.Set();
        await held;
        foreach (var (group, call) in calls)
        {
            var response = await call;
            Assert.All(response.BatchGroups, g => Assert.Equal(group, g));
            Assert.Equal(4, response.BatchSize);
        }
    }

    [Fact]
    public async Task A_failing_batch_fails_only_its_own_requests_and_the_worker_keeps_serving()
    {
        await using var host = await TestHost.StartServingAsync(EightPerBatch);
        var held = await host.HoldThreadAsync();
        var failing = Enumerable.Range(0, 3).Select(i => host.TransformAsync(Row(i), group: 1, failBatch: i == 0)).ToArray();
        var healthy = Enumerable.Range(0, 3).Select(i => host.TransformAsync(Row(i), group: 2)).ToArray();
        await Eventually.TrueAsync(() => host.Service.Batcher.QueueDepth == 6, "six requests queued");
        host.Probe.HoldGate.Set();
        await held;

        foreach (var call in failing)
        {
            var error = await Assert.ThrowsAsync<RpcException>(() => call);
            Assert.Equal(StatusCode.Internal, error.StatusCode);
            Assert.DoesNotContain("secret", error.Status.Detail, StringComparison.Ordinal);
            Assert.NotNull(error.Trailers.GetValue(ErrorMapper.CorrelationIdTrailer));
        }
        foreach (var call in healthy) Assert.Equal(3, (await call).BatchSize);
        Assert.Equal(TinyMlp.Width, (await host.TransformAsync(Row(7), group: 1)).Values.Count);
    }

    [Fact]
    public async Task A_full_queue_refuses_with_resource_exhausted()
    {
        await using var host = await TestHost.StartServingAsync(new Dictionary<string, string>
        {
            ["Batching:MaxBatchSize"] = "1",
            ["Batching:QueueCapacity"] = "2",
        });
        var held = await host.HoldThreadAsync();
        var queued = new[] { host.TransformAsync(Row(1)), host.TransformAsync(Row(2)) };
        await Eventually.TrueAsync(() => host.Service.Batcher.QueueDepth == 2, "two requests queued");

        var refused = await Assert.ThrowsAsync<RpcException>(() => host.TransformAsync(Row(3)));
        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.Contains("'transform' queue is full (2 requests waiting)", refused.Status.Detail, StringComparison.Ordinal);

        host.Probe.HoldGate.Set();
        await held;
        foreach (var call in queued) Assert.Equal(1, (await call).BatchSize);
    }

    [Fact]
    public async Task A_request_whose_deadline_passes_in_the_queue_is_removed_and_never_runs()
    {
        await using var host = await TestHost.StartServingAsync(new Dictionary<string, string> { ["Batching:MaxBatchSize"] = "1" });
        var held = await host.HoldThreadAsync();
        const float marker = 4242;

        var expired = await Assert.ThrowsAsync<RpcException>(() =>
            host.TransformAsync([marker, 0, 0, 0], deadline: DateTime.UtcNow.AddMilliseconds(300)));
        Assert.Equal(StatusCode.DeadlineExceeded, expired.StatusCode);
        await Eventually.TrueAsync(() => host.Service.Batcher.QueueDepth == 0, "the expired request left the queue");

        host.Probe.HoldGate.Set();
        await held;
        await host.TransformAsync(Row(5));
        Assert.DoesNotContain(marker, host.Probe.ComputedMarkers);
        var metrics = await host.MetricsAsync();
        Assert.Equal(1, PrometheusText.Value(metrics, "mustafar_requests_total", "code=\"DeadlineExceeded\""));
    }

    [Fact]
    public async Task A_cancelled_request_is_removed_from_the_queue_and_never_runs()
    {
        await using var host = await TestHost.StartServingAsync(new Dictionary<string, string> { ["Batching:MaxBatchSize"] = "1" });
        var held = await host.HoldThreadAsync();
        const float marker = 5353;
        using var cancel = new CancellationTokenSource();

        var call = host.TransformAsync([marker, 0, 0, 0], cancellationToken: cancel.Token);
        await Eventually.TrueAsync(() => host.Service.Batcher.QueueDepth == 1, "the request is queued");
        await cancel.CancelAsync();
        var error = await Assert.ThrowsAsync<RpcException>(() => call);
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        await Eventually.TrueAsync(() => host.Service.Batcher.QueueDepth == 0, "the cancelled request left the queue");

        host.Probe.HoldGate.Set();
        await held;
        await host.TransformAsync(Row(6));
        Assert.DoesNotContain(marker, host.Probe.ComputedMarkers);
    }
}
