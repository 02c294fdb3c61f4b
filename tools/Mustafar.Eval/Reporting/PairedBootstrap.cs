namespace Mustafar.Eval.Reporting;

/// <summary>The difference of two variants' accuracy on the same items with a 95% percentile interval from a paired
/// bootstrap: resample items with replacement, keep each item's two verdicts together, take the 2.5th and 97.5th
/// percentiles of the resampled differences. Seeded, so a table can be printed again identically.</summary>
public static class PairedBootstrap
{
    public sealed record Interval(double Difference, double Low, double High);

    /// <param name="first">Verdicts of the baseline, item by item.</param>
    /// <param name="second">Verdicts of the other variant on the same items, in the same order.</param>
    public static Interval Difference(IReadOnlyList<bool> first, IReadOnlyList<bool> second, int resamples, int seed)
    {
        if (first.Count != second.Count) throw new ArgumentException("paired verdicts must cover the same items");
        var n = first.Count;
        if (n == 0) return new Interval(0, 0, 0);
        // Per item: +1 when only the second is right, -1 when only the first is, 0 when they agree.
        var delta = new int[n];
        for (var i = 0; i < n; i++) delta[i] = (second[i] ? 1 : 0) - (first[i] ? 1 : 0);
        var random = new Random(seed);
        var means = new double[resamples];
        for (var r = 0; r < resamples; r++)
        {
            long sum = 0;
            for (var i = 0; i < n; i++) sum += delta[random.Next(n)];
            means[r] = sum / (double)n;
        }
        Array.Sort(means);
        return new Interval(delta.Sum() / (double)n, Quantile(means, 0.025), Quantile(means, 0.975));
    }

    /// <summary>Linear interpolation between order statistics (numpy's default percentile).</summary>
    private static double Quantile(double[] sorted, double q)
    {
        if (sorted.Length == 0) return 0;
        var position = q * (sorted.Length - 1);
        var below = (int)Math.Floor(position);
        var above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }
}
