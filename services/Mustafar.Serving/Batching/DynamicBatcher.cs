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
    private readonly string _name;
    private readonly BatchingLimits _limits;
    private readonly Func<IReadOnlyList<TInput>, Task<IReadOnlyList<TOutput>>> _execute;
    private readonly Func<TInput, object?> _compatibilityKey;
    private readonly Func<TInput, int> _rowCount;
    private readonly ServingStatus _status;
    private readonly ServingMetrics _metrics;
    private readonly LinkedList<Pending> _queue = new();
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _arrived = new(0);
    private readonly Task _pump;
    private Exception? _stopReason;
    private List<Pending>? _running;
    private long _batchesRun;
    private long _requestsRun;

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
        _name = name;
        _limits = limits;
        _execute = execute;
        _compatibilityKey = compatibilityKey ?? (_ => null);
        _rowCount = rowCount ?? (_ => 1);
        _status = status;
        _metrics = metrics;
        metrics.RegisterQueue(name);
        _pump = Task.Run(PumpAsync);
    }

    /// <summary>Requests waiting for a batch now.</summary>
    public int QueueDepth
    {
        get
        {
            lock (_gate) return _queue.Count;
        }
    }

    /// <summary>Forward passes run so far (mean batch size = <see cref="RequestsRun"/> / <see cref="BatchesRun"/>).</summary>
    public long BatchesRun => Interlocked.Read(ref _batchesRun);

    /// <summary>Requests that went through a forward pass so far.</summary>
    public long RequestsRun => Interlocked.Read(ref _requestsRun);

    /// <summary>Queues <paramref name="input"/> and completes with its output. Throws
    /// <see cref="QueueFullException"/> when the queue is full and <see cref="ServiceUnavailableException"/> when
    /// the host does not accept work; cancelling <paramref name="cancellationToken"/> (the call's token, which
    /// also fires at its deadline) removes a queued request before it runs.</summary>
    public Task<TOutput> SubmitAsync(TInput input, CancellationToken cancellationToken)
    {
        _status.ThrowIfNotReady();
        cancellationToken.ThrowIfCancellationRequested();
        var rows = _rowCount(input);
        if (rows < 1 || rows > _limits.MaxBatchSize)
            throw new ArgumentOutOfRangeException(nameof(input), rows,
                $"a request of the '{_name}' queue needs {rows} rows; a batch holds 1 to {_limits.MaxBatchSize}");
        var pending = new Pending(input, _compatibilityKey(input), rows, cancellationToken);
        lock (_gate)
        {
            if (_stopReason is not null) throw new ServiceUnavailableException(_stopReason.Message);
            if (_queue.Count >= _limits.QueueCapacity)
                throw new QueueFullException(
                    $"the '{_name}' queue is full ({_limits.QueueCapacity} requests waiting); retry later or on another replica");
            pending.Node = _queue.AddLast(pending);
            _metrics.SetQueueDepth(_name, _queue.Count);
        }
        pending.Registration = cancellationToken.UnsafeRegister(static state =>
        {
            var (batcher, item) = ((DynamicBatcher<TInput, TOutput>, Pending))state!;
            batcher.Cancel(item);
        }, (this, pending));
        _arrived.Release();
        return pending.Completion.Task;
    }

    Task IWorkload.Completion => _pump;

    void IWorkload.Stop(Exception reason)
    {
        List<Pending> dropped;
        lock (_gate)
        {
            _stopReason ??= reason;
            dropped = [.. _queue, .. _running ?? []];
            _queue.Clear();
            _metrics.SetQueueDepth(_name, 0);
        }
        foreach (var item in dropped) item.Fail(reason);
        _arrived.Release();
    }

    /// <summary>Takes a cancelled request out of the queue; one already in a running batch finishes with it.</summary>
    private void Cancel(Pending item)
    {
        lock (_gate)
        {
            if (item.Node?.List is null) return;
            _queue.Remove(item.Node);
            _metrics.SetQueueDepth(_name, _queue.Count);
        }
        _metrics.Expired(_name);
        item.Completion.TrySetCanceled(item.CancellationToken);
    }

    private async Task PumpAsync()
    {
        while (await NextBatchAsync().ConfigureAwait(false) is { } batch)
        {
            await RunAsync(batch).ConfigureAwait(false);
            lock (_gate) _running = null;
        }
    }

    private async Task RunAsync(List<Pending> batch)
    {
        var started = Stopwatch.GetTimestamp();
        foreach (var item in batch) _metrics.Waited(_name, Stopwatch.GetElapsedTime(item.Enqueued, started));
        try
        {
            var outputs = await _execute(batch.Select(item => item.Input).ToArray()).ConfigureAwait(false);
            if (outputs.Count != batch.Count)
                throw new InvalidOperationException($"the '{_name}' batch returned {outputs.Count} outputs for {batch.Count} inputs");
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
            _metrics.BatchRan(_name, batch.Count, Stopwatch.GetElapsedTime(started));
            Interlocked.Increment(ref _batchesRun);
            Interlocked.Add(ref _requestsRun, batch.Count);
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
            span.SetTag(SpanTags.Queue, _name);
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
            lock (_gate)
            {
                if (_stopReason is not null) return null;
                wait = Timeout.InfiniteTimeSpan;
                if (_queue.First is { } oldest)
                {
                    // With an injected queue delay (zero unless fault injection is on) a request can run only once
                    // it has waited that long, even in a full batch.
                    var waited = Stopwatch.GetElapsedTime(oldest.Value.Enqueued);
                    var due = (_limits.MaxBatchDelay > _limits.InjectedQueueDelay ? _limits.MaxBatchDelay : _limits.InjectedQueueDelay) - waited;
                    var ripe = Ripe(oldest.Value);
                    if (due <= TimeSpan.Zero || (ripe && CompatibleRows(oldest.Value.Key) >= _limits.BatchRows))
                        return TakeBatch(oldest.Value.Key);
                    wait = ripe ? due : _limits.InjectedQueueDelay - waited;
                }
            }
            await _arrived.WaitAsync(wait).ConfigureAwait(false);
        }
    }

    private int CompatibleRows(object? key)
    {
        var rows = 0;
        for (var node = _queue.First; node is not null && rows < _limits.BatchRows; node = node.Next)
            if (Equals(node.Value.Key, key) && Ripe(node.Value)) rows += node.Value.Rows;
        return rows;
    }

    /// <summary>Whether a queued request has waited out the injected queue delay (always, without one).</summary>
    private bool Ripe(Pending item) =>
        _limits.InjectedQueueDelay <= TimeSpan.Zero || Stopwatch.GetElapsedTime(item.Enqueued) >= _limits.InjectedQueueDelay;

    private List<Pending> TakeBatch(object? key)
    {
        // First fit in queue order: the oldest request always goes in (even one wider than the cap; it fits
        // MaxBatchSize), and a later one that would overflow the rows leaves room for smaller ones behind it.
        var cap = _limits.BatchRows;
        var batch = new List<Pending>(cap);
        var rows = 0;
        var node = _queue.First;
        while (node is not null && rows < cap)
        {
            var next = node.Next;
            if (Equals(node.Value.Key, key) && (rows == 0 || rows + node.Value.Rows <= cap) && Ripe(node.Value))
            {
                _queue.Remove(node);
                batch.Add(node.Value);
                rows += node.Value.Rows;
            }
            node = next;
        }
        _metrics.SetQueueDepth(_name, _queue.Count);
        _running = batch;
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
