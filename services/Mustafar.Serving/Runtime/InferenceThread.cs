using System.Collections.Concurrent;
using Mustafar.Torch;
using TorchSharp;

namespace Mustafar.Serving;

/// <summary>
/// The one thread that owns a model's TorchSharp state. Dispose scopes and grad mode are per thread in
/// TorchSharp, so every piece of torch work (load, warm-up, batches, decode steps) runs here, each work item under
/// <c>torch.no_grad()</c> and its own dispose scope. Tensors created by a work item are freed when it ends, unless
/// it detaches them on purpose (model weights, a KV cache); what a work item returns must be managed data.
/// </summary>
public sealed class InferenceThread : IDisposable
{
    private readonly BlockingCollection<WorkItem> _queue = new();
    private readonly Thread _thread;
    private readonly int _intraOpThreads;
    private volatile bool _faulted;
    private int _disposed;

    public InferenceThread(string name, int intraOpThreads = 0)
    {
        _intraOpThreads = intraOpThreads;
        _thread = new Thread(Loop) { Name = name, IsBackground = true };
        _thread.Start();
    }

    /// <summary>False once the thread has ended (after <see cref="Dispose"/>) or died; liveness reads it.</summary>
    public bool IsAlive => _thread.IsAlive && !_faulted;

    /// <summary>The managed id of the thread, so that tests and diagnostics can tell where work ran.</summary>
    public int ManagedThreadId => _thread.ManagedThreadId;

    /// <summary>Work items queued and not yet finished.</summary>
    public int Pending => _queue.Count;

    /// <summary>Runs <paramref name="work"/> on the inference thread. The task carries its result or exception;
    /// its continuations run on the thread pool, never on the inference thread.</summary>
    public Task<T> RunAsync<T>(Func<T> work) => Enqueue(work, scoped: true);

    /// <summary>Runs <paramref name="work"/> under <c>no_grad</c> but outside any dispose scope. For loading a
    /// model: TorchSharp ties buffers registered inside a scope (<c>register_buffer</c>) to that scope, so a module
    /// built inside one would lose them when the work item ends.</summary>
    internal Task<T> RunUnscopedAsync<T>(Func<T> work) => Enqueue(work, scoped: false);

    private Task<T> Enqueue<T>(Func<T> work, bool scoped)
    {
        ArgumentNullException.ThrowIfNull(work);
        var item = new WorkItem<T>(work, scoped);
        try
        {
            _queue.Add(item);
        }
        catch (Exception error) when (error is InvalidOperationException or ObjectDisposedException)
        {
            throw new ServiceUnavailableException($"inference thread '{_thread.Name}' has stopped");
        }
        return item.Task;
    }

    /// <summary>Runs <paramref name="work"/> on the inference thread.</summary>
    public Task RunAsync(Action work) => RunAsync<bool>(() =>
    {
        work();
        return true;
    });

    /// <summary>Finishes the queued work, then ends the thread.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _queue.CompleteAdding();
        if (Thread.CurrentThread != _thread) _thread.Join();
    }

    private void Loop()
    {
        Exception? setupError = null;
        try
        {
            TorchRuntime.ConfigureThreads(_intraOpThreads);
        }
        catch (Exception error)
        {
            // libtorch could not be set up: every work item fails with the reason, and liveness reports it.
            setupError = error;
            _faulted = true;
        }
        foreach (var item in _queue.GetConsumingEnumerable())
        {
            if (setupError is not null)
            {
                item.Fail(setupError);
                continue;
            }
            using var noGrad = torch.no_grad();
            using var scope = item.Scoped ? torch.NewDisposeScope() : null;
            item.Execute();
        }
    }

    private abstract class WorkItem(bool scoped)
    {
        public bool Scoped { get; } = scoped;

        public abstract void Execute();

        public abstract void Fail(Exception error);
    }

    private sealed class WorkItem<T>(Func<T> work, bool scoped) : WorkItem(scoped)
    {
        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<T> Task => _completion.Task;

        public override void Execute()
        {
            try
            {
                var result = work();
                if (result is torch.Tensor)
                    throw new InvalidOperationException(
                        "a work item returned a torch tensor, which its dispose scope frees when it ends; return managed data (arrays, messages)");
                _completion.SetResult(result);
            }
            catch (Exception error)
            {
                _completion.SetException(error);
            }
        }

        public override void Fail(Exception error) => _completion.TrySetException(error);
    }
}
