using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Mustafar.ServiceDefaults;

namespace Mustafar.Serving;

/// <summary>
/// Continuous batching for generation. Callers submit sequences; a pump runs one decode step at a time on the
/// inference thread. At each step boundary, cancelled sequences leave, waiting sequences join (up to
/// <see cref="BatchingLimits.BatchRows"/> active: the calibrated cap, never above MaxBatchSize), and the decoder
/// advances every active sequence by one token. Each caller reads only its own outputs, from a bounded per-sequence
/// channel.
/// </summary>
public sealed class StepScheduler<TRequest, TOutput> : IWorkload
{
    private readonly string name;
    private readonly BatchingLimits limits;
    private readonly InferenceThread thread;
    private readonly Func<IStepDecoder<TRequest, TOutput>> createDecoder;
    private readonly ServingStatus status;
    private readonly ServingMetrics metrics;
    private readonly ILogger logger;
    private readonly LinkedList<Sequence> waiting = new();
    private readonly Lock gate = new();
    private readonly SemaphoreSlim arrived = new(0);
    private readonly Task pump;
    private readonly ConcurrentDictionary<long, Sequence> live = new();
    private long lastId;
    private Exception? stopReason;
    private volatile int activeCount;

    // Only the inference thread touches these.
    private readonly Dictionary<long, Sequence> active = [];
    private IStepDecoder<TRequest, TOutput>? decoder;

    /// <param name="createDecoder">Makes the decoder, on the inference thread, before the first step.</param>
    internal StepScheduler(string name, BatchingLimits limits, InferenceThread thread, Func<IStepDecoder<TRequest, TOutput>> createDecoder,
        ServingStatus status, ServingMetrics metrics, ILogger logger)
    {
        this.name = name;
        this.limits = limits;
        this.thread = thread;
        this.createDecoder = createDecoder;
        this.status = status;
        this.metrics = metrics;
        this.logger = logger;
        metrics.RegisterQueue(name);
        pump = Task.Run(PumpAsync);
    }

    /// <summary>Sequences waiting to join.</summary>
    public int QueueDepth
    {
        get
        {
            lock (gate) return waiting.Count;
        }
    }

    /// <summary>Sequences being decoded now.</summary>
    public int ActiveCount => activeCount;

    /// <summary>Queues a sequence and returns its outputs, in order. Throws <see cref="QueueFullException"/> when
    /// too many sequences wait and <see cref="ServiceUnavailableException"/> when the host does not accept work.
    /// Cancelling <paramref name="cancellationToken"/> (or abandoning the enumeration) removes the sequence: a
    /// waiting one at once, an active one at the next step boundary.</summary>
    public IAsyncEnumerable<TOutput> Submit(TRequest request, CancellationToken cancellationToken)
    {
        status.ThrowIfNotReady();
        cancellationToken.ThrowIfCancellationRequested();
        var sequence = new Sequence(Interlocked.Increment(ref lastId), request, cancellationToken, limits.StreamBufferCapacity,
            completed => live.TryRemove(completed.Id, out _));
        lock (gate)
        {
            if (stopReason is not null) throw new ServiceUnavailableException(stopReason.Message);
            if (waiting.Count >= limits.QueueCapacity)
                throw new QueueFullException(
                    $"the '{name}' queue is full ({limits.QueueCapacity} sequences waiting to join); retry later or on another replica");
            live[sequence.Id] = sequence;
            sequence.Node = waiting.AddLast(sequence);
            metrics.SetQueueDepth(name, waiting.Count);
        }
        sequence.Registration = cancellationToken.UnsafeRegister(static state =>
        {
            var (scheduler, item) = ((StepScheduler<TRequest, TOutput>, Sequence))state!;
            scheduler.Cancel(item);
        }, (this, sequence));
        arrived.Release();
        return ReadAsync(sequence, cancellationToken);
    }

    Task IWorkload.Completion => pump;

    void IWorkload.Stop(Exception reason)
    {
        lock (gate)
        {
            stopReason ??= reason;
            waiting.Clear();
            metrics.SetQueueDepth(name, 0);
        }
        // Callers hear at once; the decoder forgets the active ones at the pump's last step boundary.
        foreach (var sequence in live.Values) sequence.Complete(reason);
        arrived.Release();
    }

    private async IAsyncEnumerable<TOutput> ReadAsync(Sequence sequence, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var output in sequence.Outputs.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                yield return output;
        }
        finally
        {
            // A caller that stops reading (cancelled, failed to write its stream) gives up its sequence. This runs
            // the cancellation itself: disposing the registration below may unregister the callback before it ran.
            Cancel(sequence);
            await sequence.Registration.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void Cancel(Sequence sequence)
    {
        bool wasWaiting;
        lock (gate)
        {
            wasWaiting = sequence.Node?.List is not null;
            if (wasWaiting)
            {
                waiting.Remove(sequence.Node!);
                metrics.SetQueueDepth(name, waiting.Count);
            }
        }
        sequence.CancelRequested = true;
        if (!wasWaiting) return;
        metrics.Expired(name);
        sequence.Complete(sequence.CancellationError());
    }

    private async Task PumpAsync()
    {
        while (true)
        {
            Exception? reason;
            bool idle;
            lock (gate)
            {
                reason = stopReason;
                idle = waiting.Count == 0 && activeCount == 0;
            }
            try
            {
                if (reason is not null)
                {
                    await thread.RunAsync(() => Shutdown(reason)).ConfigureAwait(false);
                    return;
                }
                if (idle) await arrived.WaitAsync().ConfigureAwait(false);
                else await thread.RunAsync(StepOnce).ConfigureAwait(false);
            }
            catch (ServiceUnavailableException error)
            {
                // The inference thread is gone: nothing can run any more.
                logger.LogError(error, "The '{Queue}' scheduler stopped: {Reason}", name, error.Message);
                return;
            }
            catch (Exception error)
            {
                // StepOnce fails its sequences itself; anything else is a bug worth a log, not a dead pump.
                logger.LogError(error, "A '{Queue}' step boundary failed", name);
            }
        }
    }

    /// <summary>One step boundary and one step, on the inference thread.</summary>
    private void StepOnce()
    {
        if (decoder is null && !TryCreateDecoder()) return;
        foreach (var sequence in active.Values.Where(s => s.CancelRequested).ToList())
            Leave(sequence, sequence.CancellationError());
        Join(decoder!);
        if (active.Count > 0) Advance(decoder!);
        activeCount = active.Count;
        metrics.SetActiveSequences(name, active.Count);
    }

    private bool TryCreateDecoder()
    {
        try
        {
            decoder = createDecoder();
            return true;
        }
        catch (Exception error)
        {
            // Without a decoder nothing can join: fail the waiting sequences, so that the error reaches callers.
            logger.LogError(error, "Creating the '{Queue}' decoder failed", name);
            while (TakeWaiting() is { } sequence) sequence.Complete(error);
            return false;
        }
    }

    private void Join(IStepDecoder<TRequest, TOutput> model)
    {
        while (active.Count < limits.BatchRows && TakeWaiting() is { } sequence)
        {
            if (sequence.CancelRequested)
            {
                metrics.Expired(name);
                sequence.Complete(sequence.CancellationError());
                continue;
            }
            var waited = Stopwatch.GetElapsedTime(sequence.Enqueued);
            metrics.Waited(name, waited);
            try
            {
                model.Add(sequence.Id, sequence.Request);
                active[sequence.Id] = sequence;
                // The caller's span, while the caller only reads its stream: the wait and the batch it joined.
                sequence.Span?.SetTag(SpanTags.Queue, name);
                sequence.Span?.SetTag(SpanTags.QueueWaitMs, waited.TotalMilliseconds);
                sequence.Span?.SetTag(SpanTags.BatchSize, active.Count);
            }
            catch (Exception error)
            {
                sequence.Complete(error);
            }
        }
    }

    private void Advance(IStepDecoder<TRequest, TOutput> model)
    {
        var started = Stopwatch.GetTimestamp();
        IReadOnlyList<SequenceOutput<TOutput>> outputs;
        try
        {
            outputs = model.Step();
        }
        catch (Exception error)
        {
            logger.LogError(error, "A '{Queue}' decode step failed; its {Count} sequences are failed", name, active.Count);
            foreach (var sequence in active.Values.ToList()) Leave(sequence, error);
            return;
        }
        metrics.BatchRan(name, active.Count, Stopwatch.GetElapsedTime(started));
        foreach (var output in outputs) Deliver(output);
    }

    private void Deliver(SequenceOutput<TOutput> output)
    {
        if (!active.TryGetValue(output.SequenceId, out var sequence))
        {
            logger.LogError("The '{Queue}' decoder returned an output for sequence {Sequence}, which is not active; dropped",
                name, output.SequenceId);
            return;
        }
        if (!sequence.Outputs.Writer.TryWrite(output.Output))
        {
            Leave(sequence, new QueueFullException(
                $"the caller fell {limits.StreamBufferCapacity} outputs behind its '{name}' stream; read the stream as it arrives"));
            return;
        }
        metrics.TokensGenerated(name, output.Tokens);
        if (output.Finished) Leave(sequence, null);
    }

    private void Leave(Sequence sequence, Exception? error)
    {
        active.Remove(sequence.Id);
        try
        {
            decoder!.Remove(sequence.Id);
        }
        catch (Exception removeError)
        {
            logger.LogError(removeError, "Removing sequence {Sequence} from the '{Queue}' decoder failed", sequence.Id, name);
        }
        sequence.Complete(error);
    }

    private void Shutdown(Exception reason)
    {
        if (decoder is not null)
            foreach (var sequence in active.Values.ToList()) Leave(sequence, reason);
        activeCount = 0;
        metrics.SetActiveSequences(name, 0);
        (decoder as IDisposable)?.Dispose();
        decoder = null;
    }

    private Sequence? TakeWaiting()
    {
        lock (gate)
        {
            if (waiting.First is not { } first) return null;
            waiting.RemoveFirst();
            metrics.SetQueueDepth(name, waiting.Count);
            return first.Value;
        }
    }

    private sealed class Sequence(long id, TRequest request, CancellationToken cancellationToken, int bufferCapacity,
        Action<Sequence> onCompleted)
    {
        public long Id { get; } = id;
        public TRequest Request { get; } = request;
        public long Enqueued { get; } = Stopwatch.GetTimestamp();
        /// <summary>The caller's current span when it submitted, if it is traced.</summary>
        public Activity? Span { get; } = Activity.Current;
        public Channel<TOutput> Outputs { get; } = Channel.CreateBounded<TOutput>(
            new BoundedChannelOptions(bufferCapacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
        public LinkedListNode<Sequence>? Node { get; set; }
        public CancellationTokenRegistration Registration { get; set; }
        public volatile bool CancelRequested;

        public Exception CancellationError() => new OperationCanceledException("the caller cancelled the sequence", cancellationToken);

        public void Complete(Exception? error)
        {
            if (Outputs.Writer.TryComplete(error)) onCompleted(this);
        }
    }
}
