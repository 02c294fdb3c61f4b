namespace Mustafar.Gateway.Caching;

/// <summary>
/// Concurrent requests for the same key share one computation (in this process). The computation runs under its
/// own cancellation, which fires only when every caller waiting for it has given up, so one client
/// disconnecting does not fail the others, and work nobody waits for any more stops.
/// </summary>
public sealed class SingleFlight<T>
{
    private readonly Dictionary<string, Flight> _flights = new(StringComparer.Ordinal);

    /// <summary>Runs <paramref name="work"/> for <paramref name="key"/>, or joins the run already in flight
    /// (then <paramref name="joined"/> is called at once, before the run ends).</summary>
    /// <returns>The value and whether this caller joined someone else's run.</returns>
    public async Task<(T Value, bool Shared)> RunAsync(string key, Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken,
        Action? joined = null)
    {
        Flight flight;
        bool shared;
        lock (_flights)
        {
            shared = _flights.TryGetValue(key, out flight!);
            if (!shared)
            {
                flight = new Flight();
                _flights[key] = flight;
            }
            flight.Waiters++;
        }
        if (shared) joined?.Invoke();
        else _ = ExecuteAsync(key, flight, work);

        try
        {
            return (await flight.Result.Task.WaitAsync(cancellationToken).ConfigureAwait(false), shared);
        }
        finally
        {
            lock (_flights)
            {
                if (--flight.Waiters == 0 && !flight.Result.Task.IsCompleted)
                {
                    // Nobody waits any more: stop the work, and let the next caller start afresh.
                    flight.Cancellation.Cancel();
                    Forget(key, flight);
                }
            }
        }
    }

    /// <summary>Number of keys in flight (for tests and diagnostics).</summary>
    public int InFlight { get { lock (_flights) return _flights.Count; } }

    private async Task ExecuteAsync(string key, Flight flight, Func<CancellationToken, Task<T>> work)
    {
        try
        {
            flight.Result.TrySetResult(await work(flight.Cancellation.Token).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (flight.Cancellation.IsCancellationRequested)
        {
            flight.Result.TrySetCanceled(flight.Cancellation.Token);
        }
        catch (Exception error)
        {
            flight.Result.TrySetException(error);
        }
        finally
        {
            lock (_flights) Forget(key, flight);
        }
    }

    private void Forget(string key, Flight flight)
    {
        if (_flights.TryGetValue(key, out var current) && ReferenceEquals(current, flight)) _flights.Remove(key);
    }

    private sealed class Flight
    {
        public readonly TaskCompletionSource<T> Result = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly CancellationTokenSource Cancellation = new();
        public int Waiters;
    }
}
