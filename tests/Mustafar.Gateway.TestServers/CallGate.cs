using Mustafar.Testing;

namespace Mustafar.Gateway.TestServers;

/// <summary>Holds calls of a test service until the test opens the gate, so tests can keep requests in flight
/// (concurrency limits, deadlines, single-flight) without sleeping. Open by default.</summary>
public sealed class CallGate
{
    private TaskCompletionSource _open = Opened();
    private int _waiting;

    public int Waiting => Volatile.Read(ref _waiting);

    public void Close() => Interlocked.Exchange(ref _open, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public void Open() => _open.TrySetResult();

    public async Task PassAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _waiting);
        try
        {
            await _open.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> calls are held (bounded).</summary>
    public Task WaitForWaitersAsync(int count) => Eventually.TrueAsync(() => Waiting >= count, $"{count} call(s) held at the gate");

    private static TaskCompletionSource Opened()
    {
        var source = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        source.SetResult();
        return source;
    }
}
