namespace Mustafar.Gateway.TestServers;

/// <summary>Polls a condition until it holds, failing after a generous bound: tests wait for background effects
/// (a health probe, a Redis reconnect) without assuming how long they take.</summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting for: {what}");
            await Task.Delay(20).ConfigureAwait(false);
        }
    }

    public static async Task<T> ReturnsAsync<T>(Func<Task<T>> attempt, Func<T, bool> accept, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            var value = await attempt().ConfigureAwait(false);
            if (accept(value)) return value;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting for: {what}");
            await Task.Delay(100).ConfigureAwait(false);
        }
    }
}
