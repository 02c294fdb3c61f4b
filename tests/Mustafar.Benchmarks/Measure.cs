using System.Diagnostics;
using System.Globalization;

namespace Mustafar.Benchmarks;

/// <summary>Timing summary of repeated runs, in milliseconds.</summary>
public sealed record Timing(string Label, int Runs, double MedianMs, double MeanMs, double MinMs, double P90Ms)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Label,-44} median {MedianMs,10:F3} ms   mean {MeanMs,10:F3}   min {MinMs,10:F3}   p90 {P90Ms,10:F3}   (n={Runs})");
}

/// <summary>Two cases measured in interleaved pairs: the median of the per-pair ratios and their range.</summary>
public sealed record RatioSpread(Timing Numerator, Timing Denominator, double Median, double Min, double Max)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Numerator.Label} / {Denominator.Label}: {Median:F3} (min {Min:F3} .. max {Max:F3} over {Numerator.Runs} pairs)");
}

/// <summary>Wall-clock measurement with warm-up. Cases meant to be compared are measured interleaved, so that
/// machine noise (other processes, frequency changes) hits every case alike and the ratios stay meaningful.</summary>
public static class Measure
{
    public static Timing Summarize(string label, IReadOnlyList<double> samplesMs)
    {
        var sorted = samplesMs.Order().ToArray();
        return new Timing(label, sorted.Length, Percentile(sorted, 0.5), sorted.Average(), sorted[0], Percentile(sorted, 0.9));
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
        var ratios = a.Zip(b, (x, y) => x / y).Order().ToArray();
        return new RatioSpread(Summarize(numerator.Label, a), Summarize(denominator.Label, b), Percentile(ratios, 0.5), ratios[0], ratios[^1]);
    }

    /// <summary>Prints "a / b = r" using medians.</summary>
    public static void PrintRatio(string what, Timing numerator, Timing denominator, double scale = 1) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ratio  {what,-60} {numerator.MedianMs * scale / denominator.MedianMs,8:F3}"));
}
