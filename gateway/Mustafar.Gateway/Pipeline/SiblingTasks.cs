using System.Runtime.ExceptionServices;

namespace Mustafar.Gateway.Pipeline;

/// <summary>Awaiting sibling tasks so that the first failure cancels the others and is the one reported (not the
/// cancellations it caused).</summary>
public static class SiblingTasks
{
    /// <summary>Waits for every task; the first to fail, in time, cancels <paramref name="siblings"/> and is the
    /// failure thrown. A sibling cancelled because of it fails after it (a gRPC call as CANCELLED, which the APIs
    /// report as the deadline passing), so neither the order of <paramref name="tasks"/> nor the order of the
    /// faults' continuations may decide which failure the caller sees: every failure seen before the cancel is a
    /// real one, every failure after it is ignored.</summary>
    public static async Task WhenAllOrFirstFailure(CancellationTokenSource siblings, params Task?[] tasks)
    {
        var pending = tasks.OfType<Task>().ToList();
        Exception? first = null;
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending).ConfigureAwait(false);
            pending.Remove(done);
            if (first is not null || !done.IsFaulted) continue;
            first = done.Exception!.InnerException!;
            CancelQuietly(siblings);
        }
        if (first is not null) ExceptionDispatchInfo.Throw(first);
        foreach (var task in tasks.OfType<Task>()) await task.ConfigureAwait(false); // a cancelled one throws here
    }

    private static void CancelQuietly(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Every sibling had finished and the caller moved on: nothing left to cancel.
        }
    }
}
