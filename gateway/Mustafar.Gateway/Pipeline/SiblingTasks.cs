namespace Mustafar.Gateway.Pipeline;

/// <summary>Awaiting sibling tasks so that the first failure cancels the others and is the one reported (not the
/// cancellations it caused).</summary>
public static class SiblingTasks
{
    public static async Task WhenAllOrFirstFailure(CancellationTokenSource siblings, params Task?[] tasks)
    {
        var running = tasks.OfType<Task>().ToArray();
        foreach (var task in running)
            _ = task.ContinueWith(static (_, state) => CancelQuietly((CancellationTokenSource)state!), siblings,
                CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        try
        {
            await Task.WhenAll(running).ConfigureAwait(false);
        }
        catch
        {
            var firstFault = running.FirstOrDefault(t => t.IsFaulted)?.Exception?.InnerException;
            if (firstFault is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(firstFault);
            throw;
        }
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
