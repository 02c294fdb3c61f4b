using System.Diagnostics;
using Mustafar.ServiceDefaults;

namespace Mustafar.Serving;

/// <summary>
/// Groups requests from many callers into batched forward passes. The oldest queued request opens a batch; the
/// batch takes every queued request with the same compatibility key, up to <see cref="BatchingLimits.MaxBatchSize"/>
/// rows (a request counts as one row unless a row count says otherwise: a guided diffusion request needs two U-Net
/// rows), and runs once it is full or the oldest request has waited <see cref="BatchingLimits.MaxBatchDelay"/>.
/// Requests with other keys keep their place in the queue. The queue is bounded (overflow is
/// <see cref="QueueFullException"/>); a cancelled or expired call leaves the queue at once and never runs (counted
/// in <c>mustafar_queue_expired_total</c>); a failing batch fails only its own requests, and the next batch runs as
/// usual. Fault injection (<see cref="BatchingLimits.InjectedQueueDelay"/>) holds every request in the queue for a
/// set time before it may run.
/// </summary>
/// <typeparam name="TInput">A prepared request: validated and decoded on the caller's thread, before queueing.</typeparam>
/// <typeparam name="TOutput">One result: managed data, never a torch tensor.</typeparam>
public sealed class DynamicBatcher<TInput, TOutput> : IWorkload
{
    private readonly string name;
    private readonly BatchingLimits limits;
    private readonly Func<IReadOnlyList<TInput>, Task<IReadOnlyList<TOutput>>> execute;
    private readonly Func<TInput, object?> compatibilityKey;
    private readonly Func<TInput, int> rowCount;
    private readonly ServingStatus status;
    private readonly ServingMetrics metrics;
    private readonly LinkedList<Pending> queue = new();
    private readonly Lock gate = new();
    private readonly SemaphoreSlim arrived = new(0);
    private readonly Task pump;
    private Exception? stopReason;
    private List<Pending>? running;
    private long batchesRun;
    private long requestsRun;

    /// <param name="name">The queue's name in metrics and messages ("encode").</param>
    /// <param name="limits">Batch size, delay and queue capacity.</param>
    /// <param name="execute">Runs one batch and returns one output per input, in order (the runtime runs it on
    /// the inference thread).</param>
    /// <param name="compatibilityKey">Requests share a batch only when their keys are equal; null batches
    /// everything together.</param>
    /// <param name="rowCount">Rows a request takes of <see cref="BatchingLimits.MaxBatchSize"/> (at least 1, at most
    /// MaxBatchSize); null counts every request as one row.</param>
    internal DynamicBatcher(string name, BatchingLimits limits, Func<IReadOnlyList<TInput>, Task<IReadOnlyList<TOutput>>> execute,
        Func<TInput, object?>? compatibilityKey, ServingStatus status, ServingMetrics metrics, Func<TInput, int>? rowCount = null)
    {
        this.name = name;
        this.limits = limits;
        this.execute = execute;
        this.compatibilityKey = compatibilityKey ?? (_ => null);
        this.rowCount = rowCount ?? (_ => 1);
        this.status = status;
        this.metrics = metrics;
        metrics.RegisterQueue(name);
        pump = Task.Run(PumpAsync);
    }

    /// <summary>Requests waiting for a batch now.</summary>
    public int QueueDepth
    {
        get
        {
            lock (gate) return queue.Count;
        }
    }

    /// <summary>Forward passes run so far (mean batch size = <see cref="RequestsRun"/> / <see cref="BatchesRun"/>).</summary>
    public long BatchesRun => Interlocked.Read(ref batchesRun);

    /// <summary>Requests that went through a forward pass so far.</summary>
    public long RequestsRun => Interlocked.Read(ref requestsRun);

    /// <summary>Queues <paramref name="input"/> and completes with its output. Throws
    /// <see cref="QueueFullException"/> when the queue is full and <see cref="ServiceUnavailableException"/> when
    /// the host does not accept work; cancelling <paramref name="cancellationToken"/> (the call's token, which
    /// also fires at its deadline) removes a queued request before it runs.</summary>
    public Task<TOutput> SubmitAsync(TInput input, CancellationToken cancellationToken)
    {
        status.ThrowIfNotReady();
        cancellationToken.ThrowIfCancellationRequested();
        var rows = rowCount(input);
        if (rows < 1 || rows > limits.MaxBatchSize)
            throw new ArgumentOutOfRangeException(nameof(input), rows,
                $"a request of the '{name}' queue needs {rows} rows; a batch holds 1 to {limits.MaxBatchSize}");
        var pending = new Pending(input, compatibilityKey(input), rows, cancellationToken);
        lock (gate)
        {
            if (stopReason is not null) throw new ServiceUnavailableException(stopReason.Message);
            if (queue.Count >= limits.QueueCapacity)
                throw new QueueFullException(
                    $"the '{name}' queue is full ({limits.QueueCapacity} requests waiting); retry later or on another replica");
            pending.Node = queue.AddLast(pending);
            metrics.SetQueueDepth(name, queue.Count);
        }
        pending.Registration = cancellationToken.UnsafeRegister(static state =>
        {
            var (batcher, item) = ((DynamicBatcher<TInput, TOutput>, Pending))state!;
            batcher.Cancel(item);
        }, (this, pending));
        arrived.Release();
        return pending.Completion.Task;
    }

    Task IWorkload.Completion => pump;

    void IWorkload.Stop(Exception reason)
    {
        List<Pending> dropped;
        lock (gate)
        {
            stopReason ??= reason;
            dropped = [.. queue, .. running ?? []];
            queue.Clear();
            metrics.SetQueueDepth(name, 0);
        }
        foreach (var item in dropped) item.Fail(reason);
        arrived.Release();
    }

    /// <summary>Takes a cancelled request out of the queue; one already in a running batch finishes with it.</summary>
    private void Cancel(Pending item)
    {
        lock (gate)
        {
            if (item.Node?.List is null) return;
            queue.Remove(item.Node);
            metrics.SetQueueDepth(name, queue.Count);
        }
        metrics.Expired(name);
        item.Completion.TrySetCanceled(item.CancellationToken);
    }

    private async Task PumpAsync()
    {
        while (await NextBatchAsync().ConfigureAwait(false) is { } batch)
        {
            await RunAsync(batch).ConfigureAwait(false);
            lock (gate) running = null;
        }
    }

    private async Task RunAsync(List<Pending> batch)
    {
        var started = Stopwatch.GetTimestamp();
        foreach (var item in batch) metrics.Waited(name, Stopwatch.GetElapsedTime(item.Enqueued, started));
        try
        {
            var outputs = await execute(batch.Select(item => item.Input).ToArray()).ConfigureAwait(false);
            if (outputs.Count != batch.Count)
                throw new InvalidOperationException($"the '{name}' batch returned {outputs.Count} outputs for {batch.Count} inputs");
            Trace(batch, started);
            for (var i = 0; i < batch.Count; i++) batch[i].Completion.TrySetResult(outputs[i]);
        }
        catch (Exception error)
        {
            Trace(batch, started);
            foreach (var item in batch) item.Fail(error);
        }
        finally
        {
            metrics.BatchRan(name, batch.Count, Stopwatch.GetElapsedTime(started));
            Interlocked.Increment(ref batchesRun);
            Interlocked.Add(ref requestsRun, batch.Count);
            foreach (var item in batch) item.Registration.Dispose();
        }
    }

    /// <summary>Puts the batch on each caller's server span: the queue, the batch size, the caller's wait and the
    /// forward pass's time. Written before the caller resumes, so never at the same time as the caller's own writes.</summary>
    private void Trace(List<Pending> batch, long started)
    {
        var computeMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        foreach (var item in batch)
        {
            if (item.Span is not { } span) continue;
            span.SetTag(SpanTags.Queue, name);
            span.SetTag(SpanTags.BatchSize, batch.Count);
            span.SetTag(SpanTags.QueueWaitMs, Stopwatch.GetElapsedTime(item.Enqueued, started).TotalMilliseconds);
            span.SetTag(SpanTags.ComputeMs, computeMs);
        }
    }

    /// <summary>Waits for the next batch to be due and takes it out of the queue; null once stopped.</summary>
    private async Task<List<Pending>?> NextBatchAsync()
    {
        while (true)
        {
            TimeSpan wait;
            lock (gate)
            {
                if (stopReason is not null) return null;
                wait = Timeout.InfiniteTimeSpan;
                if (queue.First is { } oldest)
                {
                    // With an injected queue delay (zero unless fault injection is on) a request can run only once
                    // it has waited that long, even in a full batch.
                    var waited = Stopwatch.GetElapsedTime(oldest.Value.Enqueued);
                    var due = (limits.MaxBatchDelay > limits.InjectedQueueDelay ? limits.MaxBatchDelay : limits.InjectedQueueDelay) - waited;
                    var ripe = Ripe(oldest.Value);
                    if (due <= TimeSpan.Zero || (ripe && CompatibleRows(oldest.Value.Key) >= limits.BatchRows))
                        return TakeBatch(oldest.Value.Key);
                    wait = ripe ? due : limits.InjectedQueueDelay - waited;
                }
            }
            await arrived.WaitAsync(wait).ConfigureAwait(false);
        }
    }

    private int CompatibleRows(object? key)
    {
        var rows = 0;
        for (var node = queue.First; node is not null && rows < limits.BatchRows; node = node.Next)
            if (Equals(node.Value.Key, key) && Ripe(node.Value)) rows += node.Value.Rows;
        return rows;
    }

    /// <summary>Whether a queued request has waited out the injected queue delay (always, without one).</summary>
    private bool Ripe(Pending item) =>
        limits.InjectedQueueDelay <= TimeSpan.Zero || Stopwatch.GetElapsedTime(item.Enqueued) >= limits.InjectedQueueDelay;

    private List<Pending> TakeBatch(object? key)
    {
        // First fit in queue order: the oldest request always goes in (even one wider than the cap; it fits
        // MaxBatchSize), and a later one that would overflow the rows leaves room for smaller ones behind it.
        var cap = limits.BatchRows;
        var batch = new List<Pending>(cap);
        var rows = 0;
        var node = queue.First;
        while (node is not null && rows < cap)
        {
            var next = node.Next;
            if (Equals(node.Value.Key, key) && (rows == 0 || rows + node.Value.Rows <= cap) && Ripe(node.Value))
            {
                queue.Remove(node);
                batch.Add(node.Value);
                rows += node.Value.Rows;
            }
            node = next;
        }
        metrics.SetQueueDepth(name, queue.Count);
        running = batch;
        return batch;
    }

    private sealed class Pending(TInput input, object? key, int rows, CancellationToken cancellationToken)
    {
        public TInput Input { get; } = input;
        public object? Key { get; } = key;
        public int Rows { get; } = rows;
        public CancellationToken CancellationToken { get; } = cancellationToken;
        public long Enqueued { get; } = Stopwatch.GetTimestamp();
        /// <summary>The caller's span (its gRPC call's server span), if it is traced.</summary>
        public Activity? Span { get; } = Activity.Current;
        public TaskCompletionSource<TOutput> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public LinkedListNode<Pending>? Node { get; set; }
        public CancellationTokenRegistration Registration { get; set; }

        public void Fail(Exception error)
        {
            // A caller that cancelled while its batch ran sees its cancellation, not the batch's failure.
            if (CancellationToken.IsCancellationRequested) Completion.TrySetCanceled(CancellationToken);
            else Completion.TrySetException(error);
        }
    }
}
