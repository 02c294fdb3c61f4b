using TorchSharp;

namespace Mustafar.Serving.Tests;

public class InferenceThreadTests
{
    [Fact]
    public async Task Work_runs_on_one_dedicated_thread_without_grad()
    {
        using var thread = new InferenceThread("test-inference");
        var first = await thread.RunAsync(() => (Environment.CurrentManagedThreadId, torch.is_grad_enabled()));
        var second = await thread.RunAsync(() => Environment.CurrentManagedThreadId);

        Assert.Equal(thread.ManagedThreadId, first.CurrentManagedThreadId);
        Assert.Equal(first.CurrentManagedThreadId, second);
        Assert.NotEqual(Environment.CurrentManagedThreadId, second);
        Assert.False(first.Item2);
    }

    [Fact]
    public async Task Tensors_a_work_item_creates_are_disposed_when_it_ends()
    {
        using var thread = new InferenceThread("test-inference");
        var before = await thread.RunAsync(() => DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        torch.Tensor? escaped = null;
        var sum = await thread.RunAsync(() =>
        {
            escaped = torch.ones(3, 3) * 2;
            return escaped.sum().item<float>();
        });
        var after = await thread.RunAsync(() => DisposeScopeManager.Statistics.ThreadTotalLiveCount);

        Assert.Equal(18f, sum);
        Assert.True(escaped!.IsInvalid);
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task Returning_a_tensor_is_refused_because_its_scope_frees_it()
    {
        using var thread = new InferenceThread("test-inference");
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => thread.RunAsync(() => torch.ones(2)));
        Assert.Contains("return managed data", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failing_work_item_fails_only_its_task_and_the_thread_keeps_serving()
    {
        using var thread = new InferenceThread("test-inference");
        await Assert.ThrowsAsync<DivideByZeroException>(() => thread.RunAsync<int>(() => throw new DivideByZeroException()));
        Assert.Equal(4, await thread.RunAsync(() => 2 + 2));
        Assert.True(thread.IsAlive);
    }

    [Fact]
    public async Task A_disposed_thread_refuses_work_as_unavailable()
    {
        var thread = new InferenceThread("test-inference");
        thread.Dispose();
        thread.Dispose();
        Assert.False(thread.IsAlive);
        await Assert.ThrowsAsync<ServiceUnavailableException>(() => thread.RunAsync(() => 1));
    }
}
