namespace Mustafar.Load.Reporting;

/// <summary>p50/p90/p99/max/mean of a set of durations in milliseconds (nearest-rank percentiles); null when
/// the set is empty.</summary>
public sealed record Percentiles(int Count, double P50, double P90, double P99, double Max, double Mean)
{
    public static Percentiles? Of(IEnumerable<TimeSpan> durations)
    {
        var sorted = durations.Select(d => d.TotalMilliseconds).Order().ToArray();
        if (sorted.Length == 0) return null;
        double Rank(double p) => sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
        return new Percentiles(sorted.Length, Rank(50), Rank(90), Rank(99), sorted[^1], sorted.Average());
    }
}
