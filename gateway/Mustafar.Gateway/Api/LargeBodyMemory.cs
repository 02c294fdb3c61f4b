using Microsoft.Extensions.Options;

namespace Mustafar.Gateway.Api;

/// <summary>
/// Gives the memory of large request bodies back to the system once they are answered. A 27 MB chat body costs the
/// gateway about four times its size while it is parsed and its image decoded, on the large object heap; with no
/// allocation pressure afterwards the GC has no reason to run, so after a burst the process kept about a gibibyte
/// it no longer used (measured: three 27 MB and sixteen 12.6 MB bodies, 113 to 753 MiB, and there it stayed). When
/// the last request with a body of at least <see cref="LimitOptions.ReturnMemoryAfterBodyBytes"/> finishes, an
/// aggressive, compacting full collection runs in the background and returns the freed memory, and a few more
/// follow while the gateway stays free of large bodies (<see cref="PoolTrimAges"/>). They run only after such
/// requests, and at most once per <see cref="MinimumInterval"/>.
/// </summary>
public sealed class LargeBodyMemory(IOptions<GatewayOptions> options, TimeProvider time)
{
    public static readonly TimeSpan MinimumInterval = TimeSpan.FromSeconds(1);

    private readonly object _gate = new();
    private int _inFlight;
    private long _lastCollection = long.MinValue;
    private bool _pending;

    /// <summary>A request's scope: <see cref="Scope.Observe"/> its body's size when known; a large one counts until
    /// the scope is disposed.</summary>
    public Scope Track() => new(this);

    private long Threshold => options.Value.Limits.ReturnMemoryAfterBodyBytes;

    private void Finished()
    {
        lock (_gate)
        {
            if (--_inFlight > 0 || _pending) return;
            _pending = true;
        }
        _ = Task.Run(CollectAsync);
    }

    private async Task CollectAsync()
    {
        TimeSpan interval;
        lock (_gate) interval = _lastCollection == long.MinValue ? TimeSpan.Zero : MinimumInterval - time.GetElapsedTime(_lastCollection);
        if (interval > TimeSpan.Zero) await Task.Delay(interval, time).ConfigureAwait(false);
        lock (_gate)
        {
            _pending = false;
            if (_inFlight > 0) return; // a new large request: the collection waits for it to finish
            _lastCollection = time.GetTimestamp();
        }
        Collect();
        long epoch;
        lock (_gate) epoch = _lastCollection;
        foreach (var age in PoolTrimAges)
        {
            var wait = age - time.GetElapsedTime(epoch);
            if (wait > TimeSpan.Zero) await Task.Delay(wait, time).ConfigureAwait(false);
            lock (_gate)
            {
                if (_inFlight > 0 || _pending || _lastCollection != epoch) return; // a later burst schedules its own
            }
            Collect();
        }
    }

    /// <summary>grpc-dotnet's client serializes each request into an array rented from ArrayPool.Shared, so every
    /// encoder call with a 20 MB image leaves a 32 MB array in the shared pool. The runtime drops pooled arrays on
    /// a full collection once they have been idle 30 s (thread-local) or 60 s (per core, a few per collection, then
    /// every 15 s), and full collections do not happen while the gateway is idle: these passes make them happen.
    /// Measured after the bursts above: live heap 215 MiB after the first pass, 166 after 31 s, 85 after 61 s, 21
    /// after 91 s (RSS 326, 279, 211, 147 MiB).</summary>
    private static readonly TimeSpan[] PoolTrimAges = [TimeSpan.FromSeconds(31), TimeSpan.FromSeconds(61), TimeSpan.FromSeconds(76), TimeSpan.FromSeconds(91)];

    private static void Collect()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }

    public sealed class Scope(LargeBodyMemory owner) : IDisposable
    {
        private int _counted;

        public void Observe(long? bodyBytes)
        {
            if (bodyBytes is null || bodyBytes < owner.Threshold) return;
            if (Interlocked.Exchange(ref _counted, 1) == 1) return;
            lock (owner._gate) owner._inFlight++;
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _counted, 0) == 1) owner.Finished();
        }
    }
}
