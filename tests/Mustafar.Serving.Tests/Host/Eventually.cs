namespace Mustafar.Serving.Tests.Host;

/// <summary>Waits for a condition that another thread makes true, failing after <see cref="TestHost.Patience"/>.
/// Not a timing assertion: it only bounds the wait.</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TestHost.Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"never became true: {what}");
            await Task.Delay(10);
        }
    }
}
