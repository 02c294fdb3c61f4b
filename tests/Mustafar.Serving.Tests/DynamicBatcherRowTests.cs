using System.Collections.Concurrent;

namespace Mustafar.Serving.Tests;

/// <summary>Requests that take several rows of a batch (a guided diffusion request runs two U-Net rows).</summary>
public class DynamicBatcherRowTests
{
    private sealed record Item(string Name, int Rows);

    [Fact]
    public async Task A_batch_never_holds_more_rows_than_MaxBatchSize_and_fills_first_fit_in_queue_order()
    {
        var status = new ServingStatus("unit");
        status.MarkReady();
        var batches = new ConcurrentQueue<string[]>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var batcher = new DynamicBatcher<Item, string>("rows", new BatchingLimits(4, TimeSpan.FromSeconds(30), 64),
            async items =>
            {
                batches.Enqueue(items.Select(i => i.Name).ToArray());
                if (items.Any(i => i.Name == "hold")) await gate.Task;
                return items.Select(i => i.Name).ToArray();
            }, null, status, new ServingMetrics("unit"), item => item.Rows);

        // A full batch runs at once and holds the pump, so that everything after it queues up first.
        var held = batcher.SubmitAsync(new Item("hold", 4), CancellationToken.None);
        await Eventually.TrueAsync(() => !batches.IsEmpty, "the holding batch started");
        var items = new[] { new Item("a", 2), new Item("b", 1), new Item("c", 2), new Item("d", 2), new Item("e", 1) };
        var calls = items.Select(item => batcher.SubmitAsync(item, CancellationToken.None)).ToArray();
        gate.SetResult();

        Assert.Equal(items.Select(i => i.Name), await Task.WhenAll(calls));
        await held;
        // a+b leave no room for c or d (2 rows each) but for e; c and d make the next batch.
        Assert.Equal([["hold"], ["a", "b", "e"], ["c", "d"]], batches.ToArray());

        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => batcher.SubmitAsync(new Item("huge", 5), CancellationToken.None));
        Assert.Contains("needs 5 rows", error.Message, StringComparison.Ordinal);
        ((IWorkload)batcher).Stop(new ServiceUnavailableException("test over"));
    }
}
