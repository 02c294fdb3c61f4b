using System.Diagnostics;
using System.Globalization;

namespace Mustafar.Serving;

/// <summary>One measured batch size: the best (least disturbed) per-item time of its runs.</summary>
public sealed record BatchSizeTiming(int Size, double PerItemMs);

/// <summary>The batch cap a service chose at start-up, and why.</summary>
/// <param name="Cap">The largest batch the service's batchers form (at most the configured MaxBatchSize).</param>
/// <param name="Measured">Every size measured, in increasing order.</param>
public sealed record BatchCalibration(int Cap, int Configured, IReadOnlyList<BatchSizeTiming> Measured, TimeSpan Took, string Reason)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"batch cap {Cap} of {Configured} configured ({Reason}); per-item ms: {string.Join(", ", Measured.Select(m => $"b{m.Size} {m.PerItemMs:F2}"))}; took {Took.TotalSeconds:F1} s");
}

/// <summary>
/// Batching that never hurts: at start-up a model service times its own forward pass on its own device and shapes at
/// batch sizes 1, 2, 4, ... up to the configured maximum, and caps its batches where the time per item stops
/// improving. The rule: starting from the smallest size, a larger size is taken only while its per-item time is at
/// least <c>Tolerance</c> (default 5%) below the per-item time of the size chosen so far; the first size that is not
/// ends the search (a gain below the tolerance is within the noise of a shared machine, and a batch that is not
/// faster per item only adds latency). Each size runs once untimed, then <c>Runs</c> times; its best run counts.
/// Start-up cost is bounded: when the measurements have taken <c>Budget</c>, the search stops at the size chosen so far.
/// </summary>
public static class BatchSizeCalibration
{
    /// <param name="runBatch">Runs one forward pass of that many items (on the inference thread).</param>
    /// <param name="configured">The configured MaxBatchSize: an upper bound that is never exceeded.</param>
    /// <param name="minimum">The smallest cap the service can work with (a guided diffusion request takes 2 rows).</param>
    public static BatchCalibration Run(Action<int> runBatch, int configured, int minimum, double tolerance, int runs, TimeSpan budget)
    {
        ArgumentNullException.ThrowIfNull(runBatch);
        return Run(size => Time(() => runBatch(size)), configured, minimum, tolerance, runs, budget);
    }

    /// <summary>The same, for a batch whose timed part needs untimed setup: <paramref name="timeBatch"/> runs one
    /// batch of that many items and returns the time of the part that depends on the batch size (the generator
    /// prefills its sequences untimed and returns the time of one decode step of all of them).</summary>
    public static BatchCalibration Run(Func<int, TimeSpan> timeBatch, int configured, int minimum, double tolerance, int runs, TimeSpan budget)
    {
        ArgumentNullException.ThrowIfNull(timeBatch);
        var started = Stopwatch.GetTimestamp();
        var result = Choose(size => Measure(timeBatch, size, runs), configured, minimum, tolerance,
            () => Stopwatch.GetElapsedTime(started) >= budget, budget);
        return result with { Took = Stopwatch.GetElapsedTime(started) };
    }

    /// <summary>How long <paramref name="work"/> takes.</summary>
    internal static TimeSpan Time(Action work)
    {
        var started = Stopwatch.GetTimestamp();
        work();
        return Stopwatch.GetElapsedTime(started);
    }

    /// <summary>The rule itself, over any measurement of the per-item time at a batch size.</summary>
    public static BatchCalibration Choose(Func<int, double> perItemMs, int configured, int minimum, double tolerance, Func<bool> budgetSpent,
        TimeSpan budget)
    {
        ArgumentNullException.ThrowIfNull(perItemMs);
        ArgumentNullException.ThrowIfNull(budgetSpent);
        var measured = new List<BatchSizeTiming>();
        var sizes = Sizes(configured, minimum);
        var chosen = new BatchSizeTiming(sizes[0], perItemMs(sizes[0]));
        measured.Add(chosen);
        var reason = sizes.Count == 1 ? "nothing to choose" : "per-item time improves up to the configured maximum";
        foreach (var size in sizes.Skip(1))
        {
            if (budgetSpent())
            {
                reason = string.Create(CultureInfo.InvariantCulture, $"calibration budget of {budget.TotalSeconds:F0} s spent");
                break;
            }
            var timing = new BatchSizeTiming(size, perItemMs(size));
            measured.Add(timing);
            if (timing.PerItemMs > chosen.PerItemMs * (1 - tolerance))
            {
                reason = string.Create(CultureInfo.InvariantCulture,
                    $"batch {size} is not {tolerance * 100:F0}% faster per item than batch {chosen.Size}");
                break;
            }
            chosen = timing;
        }
        return new BatchCalibration(chosen.Size, configured, measured, TimeSpan.Zero, reason);
    }

    /// <summary>minimum, then the powers of two above it, then the configured maximum itself.</summary>
    internal static List<int> Sizes(int configured, int minimum)
    {
        var first = Math.Clamp(minimum, 1, configured);
        var sizes = new List<int> { first };
        for (var size = 1; size < configured; size *= 2)
            if (size > first) sizes.Add(size);
        if (configured > first) sizes.Add(configured);
        return sizes;
    }

    private static double Measure(Func<int, TimeSpan> timeBatch, int size, int runs)
    {
        timeBatch(size);
        var best = double.MaxValue;
        for (var i = 0; i < runs; i++) best = Math.Min(best, timeBatch(size).TotalMilliseconds);
        return best / size;
    }
}
