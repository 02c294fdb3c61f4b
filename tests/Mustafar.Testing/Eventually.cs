namespace Mustafar.Testing;

/// <summary>Waits for a condition that another thread or process makes true (a health probe, a Redis reconnect, a
/// call held at a gate), failing after <see cref="Patience"/>. Not a timing assertion: it only bounds the wait, so a
/// broken component fails a test instead of hanging it.</summary>
public static class Eventually
{
    /// <summary>Bound on every such wait unless the caller names another.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var deadline = DateTime.UtcNow + (timeout ?? Patience);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"never became true: {what}");
            await Task.Delay(10).ConfigureAwait(false);
        }
    }

    /// <summary>Repeats <paramref name="attempt"/> until <paramref name="accept"/> takes its value, and returns it.</summary>
    public static async Task<T> ReturnsAsync<T>(Func<Task<T>> attempt, Func<T, bool> accept, string what, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        ArgumentNullException.ThrowIfNull(accept);
        var deadline = DateTime.UtcNow + (timeout ?? Patience);
        while (true)
        {
            var value = await attempt().ConfigureAwait(false);
            if (accept(value)) return value;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"never returned an accepted value: {what}");
            await Task.Delay(100).ConfigureAwait(false);
        }
    }
}
