namespace Mustafar.Serving;

/// <summary>
/// The host's state and its in-flight calls. Health endpoints read it, the call gate enters calls through it, and
/// graceful shutdown waits on it. One per host.
/// </summary>
public sealed class ServingStatus
{
    private readonly Lock _gate = new();
    private int _inFlight;
    private TaskCompletionSource? _idle;

    public ServingStatus(string modelId) => ModelId = modelId;

    public string ModelId { get; }

    public ServingState State { get; private set; } = ServingState.Loading;

    /// <summary>Why the host is not ready, when it failed.</summary>
    public string? FailureReason { get; private set; }

    /// <summary>Calls currently inside the model service.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Raised after every state change, on the thread that changed it.</summary>
    public event Action<ServingState>? Changed;

    public bool IsReady => State == ServingState.Ready;

    /// <summary>Counts a call in, or refuses it with <see cref="ServiceUnavailableException"/> when the host
    /// does not accept work. Dispose the result when the call ends.</summary>
    public CallLease EnterCall()
    {
        lock (_gate)
        {
            if (State != ServingState.Ready) throw NotAccepting();
            _inFlight++;
        }
        return new CallLease(this);
    }

    /// <summary>Throws <see cref="ServiceUnavailableException"/> unless the host accepts work.</summary>
    public void ThrowIfNotReady()
    {
        if (State != ServingState.Ready) throw NotAccepting();
    }

    /// <summary>The error a caller gets while the host does not accept work.</summary>
    internal ServiceUnavailableException NotAccepting() => State switch
    {
        ServingState.Loading => new ServiceUnavailableException($"model '{ModelId}' is still loading; retry shortly"),
        ServingState.Failed => new ServiceUnavailableException($"model '{ModelId}' failed to load: {FailureReason}"),
        _ => new ServiceUnavailableException($"model '{ModelId}' is shutting down; retry on another replica"),
    };

    internal void MarkReady() => Set(ServingState.Ready, from: ServingState.Loading);

    internal void MarkFailed(string reason)
    {
        FailureReason = reason;
        Set(ServingState.Failed, from: null);
    }

    /// <summary>Stops accepting calls and returns a task that completes when the last in-flight call has ended.</summary>
    internal Task BeginDrain()
    {
        Task drained;
        lock (_gate)
        {
            if (State is ServingState.Ready or ServingState.Loading) State = ServingState.Draining;
            _idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_inFlight == 0) _idle.TrySetResult();
            drained = _idle.Task;
        }
        Changed?.Invoke(State);
        return drained;
    }

    internal void MarkStopped()
    {
        if (State != ServingState.Failed) Set(ServingState.Stopped, from: null);
    }

    private void Set(ServingState next, ServingState? from)
    {
        lock (_gate)
        {
            if (from is { } expected && State != expected) return;
            State = next;
        }
        Changed?.Invoke(next);
    }

    private void Leave()
    {
        lock (_gate)
        {
            _inFlight--;
            if (_inFlight == 0) _idle?.TrySetResult();
        }
    }

    /// <summary>One call inside the service; disposing it counts the call out.</summary>
    public sealed class CallLease(ServingStatus owner) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) owner.Leave();
        }
    }
}
