using Mustafar.Gateway.Caching;

namespace Mustafar.Gateway.Tests.Units;

public sealed class SingleFlightTests
{
    [Fact]
    public async Task Concurrent_callers_of_one_key_share_one_run()
    {
        var flights = new SingleFlight<int>();
        var release = new TaskCompletionSource<int>();
        var runs = 0;
        Task<int> Work(CancellationToken _) { Interlocked.Increment(ref runs); return release.Task; }

        var joins = 0;
        var first = flights.RunAsync("k", Work, CancellationToken.None, () => joins++);
        var second = flights.RunAsync("k", Work, CancellationToken.None, () => joins++);
        Assert.Equal(1, joins); // reported at once, while the run is still going
        var other = flights.RunAsync("other", _ => Task.FromResult(7), CancellationToken.None);
        release.SetResult(42);

        Assert.Equal((42, false), await first);
        Assert.Equal((42, true), await second);
        Assert.Equal((7, false), await other);
        Assert.Equal(1, runs);
        Assert.Equal(0, flights.InFlight);
    }

    [Fact]
    public async Task One_caller_giving_up_does_not_cancel_the_others_but_the_last_one_does()
    {
        var flights = new SingleFlight<int>();
        var workToken = new TaskCompletionSource<CancellationToken>();
        async Task<int> Work(CancellationToken token)
        {
            workToken.SetResult(token);
            await Task.Delay(Timeout.Infinite, token);
            return 0;
        }

        using var leaves = new CancellationTokenSource();
        using var stays = new CancellationTokenSource();
        var leaving = flights.RunAsync("k", Work, leaves.Token);
        var staying = flights.RunAsync("k", Work, stays.Token);
        var token = await workToken.Task;

        leaves.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaving);
        Assert.False(token.IsCancellationRequested);

        stays.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => staying);
        Assert.True(token.IsCancellationRequested);
        Assert.Equal(0, flights.InFlight);
    }

    [Fact]
    public async Task A_failure_reaches_every_caller_and_the_next_call_starts_afresh()
    {
        var flights = new SingleFlight<int>();
        var release = new TaskCompletionSource<int>();
        var first = flights.RunAsync("k", _ => release.Task, CancellationToken.None);
        var second = flights.RunAsync("k", _ => release.Task, CancellationToken.None);
        release.SetException(new InvalidOperationException("boom"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => first);
        await Assert.ThrowsAsync<InvalidOperationException>(() => second);
        Assert.Equal((5, false), await flights.RunAsync("k", _ => Task.FromResult(5), CancellationToken.None));
    }
}
