using System.Diagnostics;
using System.Globalization;

namespace Mustafar.Benchmarks.Serving;

/// <summary>What a closed-loop load run measured.</summary>
public sealed record LoadResult(string Label, int Concurrency, int Requests, TimeSpan Wall, double[] SortedLatenciesMs)
{
    public double Throughput => Requests / Wall.TotalSeconds;

    public double Percentile(double q) => Measure.Percentile(SortedLatenciesMs, q);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Label,-28} c={Concurrency,-3} {Throughput,9:F1} req/s   p50 {Percentile(0.5),8:F3} ms   p95 {Percentile(0.95),8:F3}   p99 {Percentile(0.99),8:F3}   (n={Requests})");
}

/// <summary>
/// Drives a call from <c>concurrency</c> workers in a closed loop (each sends its next request when the last one
/// returned) until <c>requests</c> calls have completed, timing each call. The model-host benchmarks reuse it
/// with a gRPC client as the call.
/// </summary>
public static class ConcurrentLoad
{
    public static async Task<LoadResult> RunAsync(string label, int concurrency, int requests, Func<int, Task> call)
    {
        var latencies = new double[requests];
        var next = -1;
        var wall = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < requests)
            {
                var started = Stopwatch.GetTimestamp();
                await call(index).ConfigureAwait(false);
                latencies[index] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        }));
        await Task.WhenAll(workers).ConfigureAwait(false);
        wall.Stop();
        Array.Sort(latencies);
        return new LoadResult(label, concurrency, requests, wall.Elapsed, latencies);
    }
}
