namespace Mustafar.IntegrationTests.Mesh;

/// <summary>Waits for a condition that needs I/O to check (metrics, readiness, a load run's progress), failing after
/// a bound: it only bounds the wait, so a broken mesh fails a test instead of hanging it.</summary>
public static class Bounded
{
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"not within {timeout}: {what}");
            await Task.Delay(100);
        }
    }
}
