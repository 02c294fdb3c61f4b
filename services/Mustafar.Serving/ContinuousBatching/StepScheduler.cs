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
    private readonly string _name;
    private readonly BatchingLimits _limits;
    private readonly InferenceThread _thread;
    private readonly Func<IStepDecoder<TRequest, TOutput>> _createDecoder;
    private readonly ServingStatus _status;
    private readonly ServingMetrics _metrics;
    private readonly ILogger _logger;
    private readonly LinkedList<Sequence> _waiting = new();
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _arrived = new(0);
    private readonly Task _pump;
    private readonly ConcurrentDictionary<long, Sequence> _live = new();
    private long _lastId;
    private Exception? _stopReason;
    private volatile int _activeCount;

    // Only the inference thread touches these.
    private readonly Dictionary<long, Sequence> _active = [];
    private IStepDecoder<TRequest, TOutput>? _decoder;

    /// <param name="createDecoder">Makes the decoder, on the inference thread, before the first step.</param>
    internal StepScheduler(string name, BatchingLimits limits, InferenceThread thread, Func<IStepDecoder<TRequest, TOutput>> createDecoder,
        ServingStatus status, ServingMetrics metrics, ILogger logger)
    {
        _name = name;
        _limits = limits;
        _thread = thread;
        _createDecoder = createDecoder;
        _status = status;
        _metrics = metrics;
        _logger = logger;
        metrics.RegisterQueue(name);
        _pump = Task.Run(PumpAsync);
    }

    /// <summary>Sequences waiting to join.</summary>
    public int QueueDepth
    {
        get
        {
            lock (_gate) return _waiting.Count;
        }
    }

    /// <summary>Sequences being decoded now.</summary>
    public int ActiveCount => _activeCount;

    /// <summary>Queues a sequence and returns its outputs, in order. Throws <see cref="QueueFullException"/> when
    /// too many sequences wait and <see cref="ServiceUnavailableException"/> when the host does not accept work.
    /// Cancelling <paramref name="cancellationToken"/> (or abandoning the enumeration) removes the sequence: a
    /// waiting one at once, an active one at the next step boundary.</summary>
    public IAsyncEnumerable<TOutput> Submit(TRequest request, CancellationToken cancellationToken)
    {
        _status.ThrowIfNotReady();
        cancellationToken.ThrowIfCancellationRequested();
        var sequence = new Sequence(Interlocked.Increment(ref _lastId), request, cancellationToken, _limits.StreamBufferCapacity,
            completed => _live.TryRemove(completed.Id, out _));
        lock (_gate)
        {
            if (_stopReason is not null) throw new ServiceUnavailableException(_stopReason.Message);
            if (_waiting.Count >= _limits.QueueCapacity)
                throw new QueueFullException(
                    $"the '{_name}' queue is full ({_limits.QueueCapacity} sequences waiting to join); retry later or on another replica");
            _live[sequence.Id] = sequence;
            sequence.Node = _waiting.AddLast(sequence);
            _metrics.SetQueueDepth(_name, _waiting.Count);
        }
        sequence.Registration = cancellationToken.UnsafeRegister(static state =>
        {
            var (scheduler, item) = ((StepScheduler<TRequest, TOutput>, Sequence))state!;
            scheduler.Cancel(item);
        }, (this, sequence));
        _arrived.Release();
        return ReadAsync(sequence, cancellationToken);
    }

    Task IWorkload.Completion => _pump;

    void IWorkload.Stop(Exception reason)
    {
        lock (_gate)
        {
            _stopReason ??= reason;
            _waiting.Clear();
            _metrics.SetQueueDepth(_name, 0);
        }
        // Callers hear at once; the decoder forgets the active ones at the pump's last step boundary.
        foreach (var sequence in _live.Values) sequence.Complete(reason);
        _arrived.Release();
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
        lock (_gate)
        {
            wasWaiting = sequence.Node?.List is not null;
            if (wasWaiting)
            {
                _waiting.Remove(sequence.Node!);
                _metrics.SetQueueDepth(_name, _waiting.Count);
            }
        }
        sequence.CancelRequested = true;
        if (!wasWaiting) return;
        _metrics.Expired(_name);
        sequence.Complete(sequence.CancellationError());
    }

    private async Task PumpAsync()
    {
        while (true)
        {
            Exception? reason;
            bool idle;
            lock (_gate)
            {
                reason = _stopReason;
                idle = _waiting.Count == 0 && _activeCount == 0;
            }
            try
            {
                if (reason is not null)
                {
                    await _thread.RunAsync(() => Shutdown(reason)).ConfigureAwait(false);
                    return;
                }
                if (idle) await _arrived.WaitAsync().ConfigureAwait(false);
                else await _thread.RunAsync(StepOnce).ConfigureAwait(false);
            }
            catch (ServiceUnavailableException error)
            {
                // The inference thread is gone: nothing can run any more.
                _logger.LogError(error, "The '{Queue}' scheduler stopped: {Reason}", _name, error.Message);
                return;
            }
            catch (Exception error)
            {
                // StepOnce fails its sequences itself; anything else is a bug worth a log, not a dead pump.
                _logger.LogError(error, "A '{Queue}' step boundary failed", _name);
            }
        }
    }

    /// <summary>One step boundary and one step, on the inference thread.</summary>
    private void StepOnce()
    {
        if (_decoder is null && !TryCreateDecoder()) return;
        foreach (var sequence in _active.Values.Where(s => s.CancelRequested).ToList())
            Leave(sequence, sequence.CancellationError());
        Join(_decoder!);
        if (_active.Count > 0) Advance(_decoder!);
        _activeCount = _active.Count;
        _metrics.SetActiveSequences(_name, _active.Count);
    }

    private bool TryCreateDecoder()
    {
        try
        {
            _decoder = _createDecoder();
            return true;
        }
        catch (Exception error)
        {
            // Without a decoder nothing can join: fail the waiting sequences, so that the error reaches callers.
            _logger.LogError(error, "Creating the '{Queue}' decoder failed", _name);
            while (TakeWaiting() is { } sequence) sequence.Complete(error);
            return false;
        }
    }

    private void Join(IStepDecoder<TRequest, TOutput> model)
    {
        while (_active.Count < _limits.BatchRows && TakeWaiting() is { } sequence)
        {
            if (sequence.CancelRequested)
            {
                _metrics.Expired(_name);
                sequence.Complete(sequence.CancellationError());
                continue;
            }
            var waited = Stopwatch.GetElapsedTime(sequence.Enqueued);
            _metrics.Waited(_name, waited);
            try
            {
                model.Add(sequence.Id, sequence.Request);
                _active[sequence.Id] = sequence;
                // The caller's span, while the caller only reads its stream: the wait and the batch it joined.
                sequence.Span?.SetTag(SpanTags.Queue, _name);
                sequence.Span?.SetTag(SpanTags.QueueWaitMs, waited.TotalMilliseconds);
                sequence.Span?.SetTag(SpanTags.BatchSize, _active.Count);
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
            _logger.LogError(error, "A '{Queue}' decode step failed; its {Count} sequences are failed", _name, _active.Count);
            foreach (var sequence in _active.Values.ToList()) Leave(sequence, error);
            return;
        }
        _metrics.BatchRan(_name, _active.Count, Stopwatch.GetElapsedTime(started));
        foreach (var output in outputs) Deliver(output);
    }

    private void Deliver(SequenceOutput<TOutput> output)
    {
        if (!_active.TryGetValue(output.SequenceId, out var sequence))
        {
            _logger.LogError("The '{Queue}' decoder returned an output for sequence {Sequence}, which is not active; dropped",
                _name, output.SequenceId);
            return;
        }
        if (!sequence.Outputs.Writer.TryWrite(output.Output))
        {
            Leave(sequence, new QueueFullException(
                $"the caller fell {_limits.StreamBufferCapacity} outputs behind its '{_name}' stream; read the stream as it arrives"));
            return;
        }
        _metrics.TokensGenerated(_name, output.Tokens);
        if (output.Finished) Leave(sequence, null);
    }

    private void Leave(Sequence sequence, Exception? error)
    {
        _active.Remove(sequence.Id);
        try
        {
            _decoder!.Remove(sequence.Id);
        }
        catch (Exception removeError)
        {
            _logger.LogError(removeError, "Removing sequence {Sequence} from the '{Queue}' decoder failed", sequence.Id, _name);
        }
        sequence.Complete(error);
    }

    private void Shutdown(Exception reason)
    {
        if (_decoder is not null)
            foreach (var sequence in _active.Values.ToList()) Leave(sequence, reason);
        _activeCount = 0;
        _metrics.SetActiveSequences(_name, 0);
        (_decoder as IDisposable)?.Dispose();
        _decoder = null;
    }

    private Sequence? TakeWaiting()
    {
        lock (_gate)
        {
            if (_waiting.First is not { } first) return null;
            _waiting.RemoveFirst();
            _metrics.SetQueueDepth(_name, _waiting.Count);
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
