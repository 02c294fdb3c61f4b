using Grpc.Core;
using Mustafar.Gateway.Pipeline;

namespace Mustafar.Gateway.Tests.Units;

public sealed class SiblingTasksTests
{
    /// <summary>A gRPC call cancelled by its sibling's failure fails as CANCELLED, after that failure; listed first,
    /// it must still not be the one reported (the APIs would report it as the deadline passing).</summary>
    [Fact]
    public async Task The_first_failure_in_time_is_reported_not_the_sibling_it_cancelled_listed_before_it()
    {
        using var siblings = new CancellationTokenSource();
        var rejectNow = new TaskCompletionSource();
        async Task CancelledSibling()
        {
            var cancelled = new TaskCompletionSource();
            await using (siblings.Token.Register(cancelled.SetResult))
            {
                rejectNow.SetResult();
                await cancelled.Task;
            }
            throw new RpcException(new Status(StatusCode.Cancelled, "Call canceled by the client."));
        }
        async Task RejectingSibling()
        {
            await rejectNow.Task;
            throw new RpcException(new Status(StatusCode.InvalidArgument, "image: not an image"));
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => SiblingTasks.WhenAllOrFirstFailure(siblings, CancelledSibling(), RejectingSibling()));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.True(siblings.IsCancellationRequested);
    }

    [Fact]
    public async Task Siblings_that_all_succeed_are_awaited_and_nothing_is_cancelled()
    {
        using var siblings = new CancellationTokenSource();
        var slow = new TaskCompletionSource();
        var waiting = SiblingTasks.WhenAllOrFirstFailure(siblings, Task.CompletedTask, slow.Task, null);
        Assert.False(waiting.IsCompleted);
        slow.SetResult();
        await waiting;
        Assert.False(siblings.IsCancellationRequested);
    }
}
