using System.Diagnostics;
using System.Globalization;

namespace Mustafar.Benchmarks;

/// <summary>Timing summary of repeated runs, in milliseconds. <paramref name="Samples"/> are in round order, so
/// that two timings measured in the same interleaved rounds can be compared pair by pair.</summary>
public sealed record Timing(string Label, int Runs, double MedianMs, double MeanMs, double MinMs, double P90Ms, IReadOnlyList<double> Samples)
{
    /// <summary>The round-by-round sum of timings measured in the same rounds (for example the stages of one request).</summary>
    public static Timing Sum(string label, params Timing[] parts) =>
        Measure.Summarize(label, Enumerable.Range(0, parts.Min(p => p.Samples.Count)).Select(i => parts.Sum(p => p.Samples[i])).ToList());

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Label,-44} median {MedianMs,10:F3} ms   mean {MeanMs,10:F3}   min {MinMs,10:F3}   p90 {P90Ms,10:F3}   (n={Runs})");
}

/// <summary>Two cases measured in interleaved pairs: the median of the per-pair ratios and their range.</summary>
public sealed record RatioSpread(Timing Numerator, Timing Denominator, double Median, double Min, double Max)
{
    public int Pairs => Math.Min(Numerator.Samples.Count, Denominator.Samples.Count);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Numerator.Label} / {Denominator.Label}: {Median:F3} (min {Min:F3} .. max {Max:F3} over {Pairs} pairs)");
}

/// <summary>Wall-clock measurement with warm-up. Cases meant to be compared are measured interleaved, so that
/// machine noise (other processes, frequency changes) hits every case alike and the ratios stay meaningful.</summary>
public static class Measure
{
    /// <summary>Fewest rounds a printed ratio may rest on: fewer say nothing about the spread.</summary>
    public const int MinRounds = 5;

    public static Timing Summarize(string label, IReadOnlyList<double> samplesMs)
    {
        var sorted = samplesMs.Order().ToArray();
        return new Timing(label, sorted.Length, Percentile(sorted, 0.5), sorted.Average(), sorted[0], Percentile(sorted, 0.9), samplesMs.ToArray());
    }

    public static double Percentile(IReadOnlyList<double> sorted, double q)
    {
        if (sorted.Count == 0) return double.NaN;
        var rank = q * (sorted.Count - 1);
        var low = (int)Math.Floor(rank);
        var high = Math.Min(low + 1, sorted.Count - 1);
        return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
    }

    /// <summary>Runs every case <paramref name="warmup"/> times, then <paramref name="iterations"/> rounds in which
    /// each case runs once, in rotating order.</summary>
    public static IReadOnlyList<Timing> Interleaved(int warmup, int iterations, params (string Label, Action Run)[] cases)
    {
        iterations = Math.Max(iterations, MinRounds);
        foreach (var c in cases) for (var i = 0; i < warmup; i++) c.Run();
        var samples = cases.Select(_ => new List<double>(iterations)).ToArray();
        for (var round = 0; round < iterations; round++)
            for (var k = 0; k < cases.Length; k++)
            {
                var index = (k + round) % cases.Length;
                var watch = Stopwatch.StartNew();
                cases[index].Run();
                samples[index].Add(watch.Elapsed.TotalMilliseconds);
            }
        return cases.Select((c, i) => Summarize(c.Label, samples[i])).ToList();
    }

    /// <summary>Runs <paramref name="numerator"/> and <paramref name="denominator"/> <paramref name="warmup"/> times
    /// each, then <paramref name="rounds"/> rounds of one run each (alternating which goes first), and returns the
    /// ratio of every round's pair: its median is the result and its min..max the spread.</summary>
    public static RatioSpread InterleavedRatio(int warmup, int rounds, (string Label, Action Run) numerator, (string Label, Action Run) denominator)
    {
        rounds = Math.Max(rounds, MinRounds);
        foreach (var c in new[] { numerator, denominator }) for (var i = 0; i < warmup; i++) c.Run();
        var a = new List<double>(rounds);
        var b = new List<double>(rounds);
        for (var round = 0; round < rounds; round++)
        {
            var order = round % 2 == 0 ? new[] { (numerator, a), (denominator, b) } : [(denominator, b), (numerator, a)];
            foreach (var (c, samples) in order)
            {
                var watch = Stopwatch.StartNew();
                c.Run();
                samples.Add(watch.Elapsed.TotalMilliseconds);
            }
        }
        return Ratio(Summarize(numerator.Label, a), Summarize(denominator.Label, b));
    }

    /// <summary>The per-round ratios of two timings measured in the same interleaved rounds (times
    /// <paramref name="scale"/>): their median and min..max.</summary>
    public static RatioSpread Ratio(Timing numerator, Timing denominator, double scale = 1)
    {
        var pairs = Math.Min(numerator.Samples.Count, denominator.Samples.Count);
        if (pairs == 0) throw new ArgumentException("no measured rounds to pair");
        var ratios = Enumerable.Range(0, pairs).Select(i => numerator.Samples[i] * scale / denominator.Samples[i]).Order().ToArray();
        return new RatioSpread(numerator, denominator, Percentile(ratios, 0.5), ratios[0], ratios[^1]);
    }

    /// <summary>The median of the per-round differences <paramref name="a"/> - <paramref name="b"/>, in ms.</summary>
    public static double PairedDifference(Timing a, Timing b)
    {
        var pairs = Math.Min(a.Samples.Count, b.Samples.Count);
        return Percentile(Enumerable.Range(0, pairs).Select(i => a.Samples[i] - b.Samples[i]).Order().ToArray(), 0.5);
    }

    /// <summary>Prints the median of the per-round ratios with their min..max. <paramref name="wrapsDenominator"/>:
    /// the numerator does the denominator's work and more (a service around the direct call), so a ratio below 1
    /// can only be noise; it is then printed as a measurement error, not as a result.</summary>
    public static RatioSpread PrintRatio(string what, Timing numerator, Timing denominator, double scale = 1, bool wrapsDenominator = false)
    {
        var ratio = Ratio(numerator, denominator, scale);
        var spread = string.Create(CultureInfo.InvariantCulture, $"(min {ratio.Min:F3} .. max {ratio.Max:F3} over {ratio.Pairs} interleaved pairs)");
        if (ratio.Pairs < MinRounds) spread += $" [only {ratio.Pairs} pairs: not enough to decide anything]";
        Console.WriteLine(wrapsDenominator && ratio.Median < 1
            ? string.Create(CultureInfo.InvariantCulture,
                $"ratio  {what,-60} MEASUREMENT ERROR: median {ratio.Median:F3} < 1 {spread}; the numerator wraps the denominator's work, so the machine was too noisy to measure it. Rerun on a quiet machine.")
            : string.Create(CultureInfo.InvariantCulture, $"ratio  {what,-60} {ratio.Median,8:F3} {spread}"));
        return ratio;
    }

    /// <summary><see cref="Interleaved"/> for cases that need untimed setup per run: each case's prepared
    /// action does its setup and returns the milliseconds of the part it times.</summary>
    public static IReadOnlyList<Timing> InterleavedWithSetup(int warmup, int iterations, (string Label, Func<Func<double>> Prepare)[] cases)
    {
        var runs = cases.Select(c => c.Prepare()).ToArray();
        foreach (var run in runs) for (var i = 0; i < warmup; i++) run();
        var samples = cases.Select(_ => new List<double>(iterations)).ToArray();
        for (var round = 0; round < iterations; round++)
            for (var k = 0; k < cases.Length; k++)
            {
                var index = (k + round) % cases.Length;
                samples[index].Add(runs[index]());
            }
        return [.. cases.Select((c, i) => Summarize(c.Label, samples[i]))];
    }

    /// <summary><see cref="Interleaved"/> (without warm-up: the caller warms up) for cases so slow that the rounds
    /// may not fit the time there is: prints every round as it ends, and starts no new round once
    /// <paramref name="budget"/> is spent (after at least one), so that a busy machine yields fewer pairs, flagged as
    /// such by <see cref="PrintRatio"/>, instead of none.</summary>
    public static IReadOnlyList<Timing> InterleavedWithin(TimeSpan budget, int rounds, params (string Label, Action Run)[] cases) =>
        InterleavedWithin(budget, rounds, cases.Select(c => (c.Label, (Func<double>)(() =>
        {
            var watch = Stopwatch.StartNew();
            c.Run();
            return watch.Elapsed.TotalMilliseconds;
        }))).ToArray());

    /// <summary>As above for cases that time a part of their own work (a request's time to its first token): each
    /// returns the milliseconds it measured.</summary>
    public static IReadOnlyList<Timing> InterleavedWithin(TimeSpan budget, int rounds, params (string Label, Func<double> RunMs)[] cases)
    {
        var started = Stopwatch.GetTimestamp();
        var samples = cases.Select(_ => new List<double>(rounds)).ToArray();
        for (var round = 0; round < rounds && (round == 0 || Stopwatch.GetElapsedTime(started) < budget); round++)
        {
            for (var k = 0; k < cases.Length; k++)
            {
                var index = (k + round) % cases.Length;
                samples[index].Add(cases[index].RunMs());
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"   round {round + 1}: {string.Join(", ", cases.Select((c, i) => $"{c.Label} {samples[i][^1]:F0} ms"))}"));
        }
        return cases.Select((c, i) => Summarize(c.Label, samples[i])).ToList();
    }
}
