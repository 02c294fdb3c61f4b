namespace Mustafar.Gateway.Pipeline;

/// <summary>Milliseconds since a request arrived, for the per-stage timings.</summary>
public sealed class StageClock(long startedAt)
{
    public double ElapsedMs => TimeProvider.System.GetElapsedTime(startedAt).TotalMilliseconds;

    /// <summary>Runs <paramref name="stage"/> and returns its result with its duration in milliseconds.</summary>
    public static async Task<(T Value, double Ms)> TimeAsync<T>(Func<Task<T>> stage)
    {
        var start = TimeProvider.System.GetTimestamp();
        var value = await stage().ConfigureAwait(false);
        return (value, TimeProvider.System.GetElapsedTime(start).TotalMilliseconds);
    }
}
