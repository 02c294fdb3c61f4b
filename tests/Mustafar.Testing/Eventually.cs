namespace Mustafar.Testing;

/// <summary>Waits for a condition that another thread makes true, failing after <see cref="Patience"/>. Not a
/// timing assertion: it only bounds the wait, so a broken component fails a test instead of hanging it.</summary>
public static class Eventually
{
    /// <summary>Bound on every such wait.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public static async Task TrueAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"never became true: {what}");
            await Task.Delay(10);
        }
    }
}
