using System.Collections.Concurrent;
using System.Diagnostics;
using Mustafar.Load.Reporting;
using Mustafar.Load.Requests;
using Mustafar.Load.Scenario;

namespace Mustafar.Load.Engine;

/// <summary>
/// One running load test. <see cref="Start"/> begins at once (warm-up first, if any) and <see cref="Completion"/>
/// gives the report once the last request has ended. Every request sent gets exactly one
/// <see cref="RequestRecord"/>, whatever happens to it, so the counts always add up. Tests drive it in process
/// and can act (kill a process, stop Redis) while it runs, reading <see cref="Elapsed"/> on the records' clock.
/// </summary>
public sealed class LoadRun
{
    private readonly LoadScenario _scenario;
    private readonly IRequestSender _sender;
    private readonly ImageSet _images;
    private readonly Stopwatch _clock = new();
    private readonly ConcurrentQueue<RequestRecord> _records = new();
    private readonly ConcurrentQueue<RequestRecord> _warmupRecords = new();
    private readonly CancellationTokenSource _stopSending = new();
    private readonly CancellationToken _abort;
    private long _nextIndex;
    private int _inFlight;

    private LoadRun(LoadScenario scenario, IRequestSender sender, ImageSet images, CancellationToken abort)
    {
        _scenario = scenario;
        _sender = sender;
        _images = images;
        _abort = abort;
    }

    /// <summary>Starts <paramref name="scenario"/>. <paramref name="sender"/> defaults to the mesh the scenario names
    /// (owned and disposed by the run); <paramref name="abort"/> cancels the requests in flight.</summary>
    public static LoadRun Start(LoadScenario scenario, IRequestSender? sender = null, CancellationToken abort = default)
    {
        var problems = scenario.Validate().ToList();
        if (problems.Count > 0) throw new ArgumentException(string.Join(Environment.NewLine, problems), nameof(scenario));
        var (image, name) = ImageSet.Load(scenario.Image);
        var owned = sender is null ? new MeshSender(scenario) : null;
        var run = new LoadRun(scenario, sender ?? owned!, new ImageSet(image, scenario.RepeatedImages, name), abort);
        run.Completion = Task.Run(async () =>
        {
            try
            {
                return await run.RunAsync().ConfigureAwait(false);
            }
            finally
            {
                owned?.Dispose();
            }
        });
        return run;
    }

    /// <summary>The report, once every request sent has ended.</summary>
    public Task<LoadReport> Completion { get; private set; } = null!;

    /// <summary>Time since measurement began (after the warm-up): the clock of every record's times.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Measured requests that have ended so far.</summary>
    public int CompletedCount => _records.Count;

    /// <summary>Measured requests sent and not yet ended.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>The measured requests that have ended so far.</summary>
    public IReadOnlyList<RequestRecord> CompletedRecords() => [.. _records];

    /// <summary>Sends no more requests; the ones in flight finish and the report follows.</summary>
    public void StopSending() => _stopSending.Cancel();

    private async Task<LoadReport> RunAsync()
    {
        if (_scenario.Warmup > 0)
        {
            _clock.Start();
            await ClosedLoopAsync(_scenario.Concurrency, _scenario.Warmup, TimeSpan.Zero, _warmupRecords, firstIndex: -_scenario.Warmup).ConfigureAwait(false);
            Interlocked.Exchange(ref _nextIndex, 0);
        }
        _clock.Restart();
        if (_scenario.Mode == LoadMode.Closed)
            await ClosedLoopAsync(_scenario.Concurrency, _scenario.Requests, _scenario.Duration, _records, firstIndex: 0).ConfigureAwait(false);
        else
            await OpenLoopAsync().ConfigureAwait(false);
        var wall = _clock.Elapsed;
        return new LoadReport(_scenario, wall, [.. _records.OrderBy(r => r.Index)], [.. _warmupRecords.OrderBy(r => r.Index)]);
    }

    /// <summary>Fixed concurrency: each worker sends its next request when its previous one has ended, until the
    /// count or the duration is reached (a zero limit is no limit).</summary>
    private async Task ClosedLoopAsync(int concurrency, int count, TimeSpan duration, ConcurrentQueue<RequestRecord> sink, long firstIndex)
    {
        Interlocked.Exchange(ref _nextIndex, firstIndex);
        var end = firstIndex + count;
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (!_stopSending.IsCancellationRequested && !_abort.IsCancellationRequested)
            {
                if (duration > TimeSpan.Zero && _clock.Elapsed >= duration) return;
                var index = Interlocked.Increment(ref _nextIndex) - 1;
                if (count > 0 && index >= end) return;
                await RunOneAsync(Plan(index), _clock.Elapsed, sink).ConfigureAwait(false);
            }
        }));
        await Task.WhenAll(workers).ConfigureAwait(false);
    }

    /// <summary>Fixed arrival rate: request i is due at i / rate and sent then, however many are still in flight
    /// (up to <see cref="LoadScenario.MaxInFlight"/>; beyond it a request is recorded as "client-backlog", unsent).</summary>
    private async Task OpenLoopAsync()
    {
        var interval = TimeSpan.FromSeconds(1 / _scenario.Rate);
        var requests = new List<Task>();
        for (long index = 0; ; index++)
        {
            if (_scenario.Requests > 0 && index >= _scenario.Requests) break;
            var due = interval * index;
            if (_scenario.Duration > TimeSpan.Zero && due >= _scenario.Duration) break;
            if (!await WaitUntilAsync(due).ConfigureAwait(false)) break;
            var plan = Plan(index);
            if (InFlight >= _scenario.MaxInFlight)
            {
                var now = _clock.Elapsed;
                _records.Enqueue(Record(plan, due, now, now, null,
                    new SendResult("client-backlog", $"not sent: {_scenario.MaxInFlight} requests were already in flight (--max-in-flight)")));
                continue;
            }
            // Off the schedule's thread: building and sending a request must not delay the next one's slot.
            requests.Add(Task.Run(() => RunOneAsync(plan, due, _records)));
        }
        await Task.WhenAll(requests).ConfigureAwait(false);
    }

    /// <summary>Waits until the clock reads <paramref name="due"/> (timers may fire early: never before it); false
    /// when sending stopped meanwhile.</summary>
    private async Task<bool> WaitUntilAsync(TimeSpan due)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(_stopSending.Token, _abort);
        try
        {
            for (var wait = due - _clock.Elapsed; wait > TimeSpan.Zero; wait = due - _clock.Elapsed)
                await Task.Delay(wait, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        return !stop.IsCancellationRequested;
    }

    /// <summary>Request <paramref name="index"/>'s kind and image, the same for the same seed whichever worker
    /// takes it.</summary>
    private RequestPlan Plan(long index)
    {
        var random = new Random(Mix(_scenario.Seed, index));
        var kind = _scenario.Mix.Pick(random.NextDouble());
        var repeated = random.NextDouble() < _scenario.RepeatShare;
        var image = repeated ? _images.Repeated(random.Next(_images.RepeatedCount)) : _images.Fresh(index);
        return new RequestPlan(index, kind, image, repeated, _scenario.Question);
    }

    /// <summary>A seed per request (HashCode.Combine would differ between processes): SplitMix64's finaliser.</summary>
    private static int Mix(int seed, long index)
    {
        unchecked
        {
            var z = (ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)index;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return (int)(z ^ (z >> 31));
        }
    }

    private async Task RunOneAsync(RequestPlan plan, TimeSpan scheduled, ConcurrentQueue<RequestRecord> sink)
    {
        Interlocked.Increment(ref _inFlight);
        var started = _clock.Elapsed;
        TimeSpan? firstToken = null;
        // The senders set the gRPC deadline to the timeout themselves; the grace lets that status report itself.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_abort);
        timeout.CancelAfter(_scenario.Timeout + TimeSpan.FromSeconds(1));
        SendResult result;
        try
        {
            result = await _sender.SendAsync(plan, () => firstToken ??= _clock.Elapsed, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception error) when (timeout.IsCancellationRequested)
        {
            result = _abort.IsCancellationRequested
                ? new SendResult("cancelled", "the load run was cancelled")
                : new SendResult("timeout", $"no complete answer within {DurationConverter.Format(_scenario.Timeout)} ({error.GetType().Name})");
        }
        catch (HttpRequestException error)
        {
            result = new SendResult("transport", $"{error.HttpRequestError}: {error.Message}");
        }
        catch (IOException error)
        {
            result = new SendResult("transport", error.Message);
        }
#pragma warning disable CA1031 // every request must end in a record; an unexpected client failure is an error outcome, not a lost request
        catch (Exception error)
#pragma warning restore CA1031
        {
            result = new SendResult("client-error", $"{error.GetType().Name}: {error.Message}");
        }
        sink.Enqueue(Record(plan, scheduled, started, _clock.Elapsed, firstToken, result));
        Interlocked.Decrement(ref _inFlight);
    }

    private static RequestRecord Record(RequestPlan plan, TimeSpan scheduled, TimeSpan started, TimeSpan ended, TimeSpan? firstToken, SendResult result) => new()
    {
        Index = plan.Index,
        Kind = plan.Kind,
        RepeatedImage = plan.RepeatedImage,
        Scheduled = scheduled,
        Started = started,
        Ended = ended,
        FirstToken = result.Outcome == RequestRecord.Ok ? firstToken : null,
        Outcome = result.Outcome,
        Message = result.Message,
        Retryable = result.Retryable,
        Cache = result.Cache,
        CompletionTokens = result.CompletionTokens,
    };
}
