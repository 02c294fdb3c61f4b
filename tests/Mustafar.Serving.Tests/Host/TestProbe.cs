using System.Collections.Concurrent;

namespace Mustafar.Serving.Tests.Host;

/// <summary>What the tests control and observe inside the test host: gates that hold the model load, a batch or
/// each decode step, and a record of what the model actually ran.</summary>
public sealed class TestProbe
{
    /// <summary>Longest a gate waits before failing, so that a broken test ends instead of hanging.</summary>
    public static readonly TimeSpan GateTimeout = TimeSpan.FromSeconds(60);

    private readonly SemaphoreSlim _stepPermits = new(0);

    /// <summary>Set: the model load returns. Starts open.</summary>
    public ManualResetEventSlim LoadGate { get; } = new(true);

    /// <summary>Set: a batch holding a request with <c>hold</c> may run.</summary>
    public ManualResetEventSlim HoldGate { get; } = new(false);

    /// <summary>Completes when a held batch has started (so later requests queue behind it).</summary>
    public TaskCompletionSource HeldBatchStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>When true, each decode step waits for a permit from <see cref="ReleaseSteps"/>.</summary>
    public bool GateSteps { get; set; }

    /// <summary>The first value of every row the model computed.</summary>
    public ConcurrentQueue<float> ComputedMarkers { get; } = new();

    /// <summary>The decoder's record of joins, steps and leaves.</summary>
    public DecoderLog Decoder { get; } = new();

    /// <summary>What the host logged.</summary>
    public CapturedLogs Logs { get; } = new();

    /// <summary>Managed thread ids on which model work ran.</summary>
    public ConcurrentDictionary<int, bool> ModelThreads { get; } = new();

    private int _stepsStarted;

    /// <summary>Decode steps that have started (and, with <see cref="GateSteps"/>, may be waiting for a permit).</summary>
    public int StepsStarted => Volatile.Read(ref _stepsStarted);

    public void ReleaseSteps(int count) => _stepPermits.Release(count);

    internal void WaitForStepPermit()
    {
        Interlocked.Increment(ref _stepsStarted);
        if (GateSteps && !_stepPermits.Wait(GateTimeout))
            throw new TimeoutException("the test never released the decode step");
    }

    internal static void Wait(ManualResetEventSlim gate, string what)
    {
        if (!gate.Wait(GateTimeout)) throw new TimeoutException($"the test never released the {what}");
    }
}

/// <summary>Everything the counting decoder did, in order.</summary>
public sealed class DecoderLog
{
    private readonly Lock _gate = new();
    private readonly List<string> _events = [];
    private readonly Dictionary<long, int> _stepsBySequence = [];
    private readonly Dictionary<long, long> _sequenceByStart = [];
    private readonly HashSet<long> _removed = [];
    private int _steps;
    private int _maxActive;

    public IReadOnlyList<string> Events
    {
        get
        {
            lock (_gate) return [.. _events];
        }
    }

    public int Steps
    {
        get
        {
            lock (_gate) return _steps;
        }
    }

    /// <summary>Sequences the decoder has admitted.</summary>
    public int Adds
    {
        get
        {
            lock (_gate) return _sequenceByStart.Count;
        }
    }

    public int MaxActive
    {
        get
        {
            lock (_gate) return _maxActive;
        }
    }

    /// <summary>The scheduler's id of the sequence whose request started at <paramref name="start"/>, if it joined.</summary>
    public long? SequenceStartingAt(long start)
    {
        lock (_gate) return _sequenceByStart.TryGetValue(start, out var id) ? id : null;
    }

    public int StepsOf(long sequenceId)
    {
        lock (_gate) return _stepsBySequence.GetValueOrDefault(sequenceId);
    }

    public bool WasRemoved(long sequenceId)
    {
        lock (_gate) return _removed.Contains(sequenceId);
    }

    internal void Added(long id, long start)
    {
        lock (_gate)
        {
            _events.Add($"add {start}");
            _sequenceByStart[start] = id;
        }
    }

    internal void Stepped(IReadOnlyCollection<(long Id, long Start)> active)
    {
        lock (_gate)
        {
            _steps++;
            _maxActive = Math.Max(_maxActive, active.Count);
            _events.Add($"step [{string.Join(",", active.Select(a => a.Start).Order())}]");
            foreach (var (id, _) in active) _stepsBySequence[id] = _stepsBySequence.GetValueOrDefault(id) + 1;
        }
    }

    internal void Removed(long id, long start)
    {
        lock (_gate)
        {
            _events.Add($"remove {start}");
            _removed.Add(id);
        }
    }
}
