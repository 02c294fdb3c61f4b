using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mustafar.Serving;

/// <summary>
/// Loads the model once the server listens (so that health can say NOT_SERVING meanwhile) and shuts down
/// gracefully: before the server stops, the host refuses new calls (health NOT_SERVING, UNAVAILABLE), waits up to
/// <see cref="ServerOptions.DrainTimeoutSeconds"/> for in-flight calls, then fails what is left with UNAVAILABLE;
/// after the server stopped, the model is disposed on its thread.
/// </summary>
internal sealed class ModelLifecycle<TModel>(
    ModelRuntime<TModel> runtime,
    HealthPublisher health,
    IOptions<ServerOptions> server,
    IHostApplicationLifetime lifetime,
    ILogger<ModelLifecycle<TModel>> logger) : IHostedLifecycleService
    where TModel : class
{
    private Task _loading = Task.CompletedTask;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        health.Publish(runtime.Status.State);
        _loading = Task.Run(LoadAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        var drained = runtime.Status.BeginDrain();
        var timeout = server.Value.DrainTimeout;
        logger.LogInformation("Draining: {InFlight} call(s) in flight, waiting up to {Timeout:F1} s",
            runtime.Status.InFlight, timeout.TotalSeconds);
        try
        {
            await drained.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (error is TimeoutException or OperationCanceledException)
        {
            logger.LogWarning("Drain timed out with {InFlight} call(s) still in flight; failing them with UNAVAILABLE",
                runtime.Status.InFlight);
        }
        runtime.StopWorkloads(new ServiceUnavailableException(
            $"model '{runtime.ModelId}' is shutting down; retry on another replica"));
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        // A load or forward pass still running cannot be interrupted inside libtorch: wait for it (bounded by the
        // host's shutdown timeout), then dispose the model on its thread.
        try
        {
            await _loading.WaitAsync(cancellationToken).ConfigureAwait(false);
            await runtime.DisposeModelAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            logger.LogWarning("The inference thread was still busy when the shutdown timeout ran out; the model was not disposed");
        }
        runtime.Status.MarkStopped();
    }

    private async Task LoadAsync()
    {
        try
        {
            await runtime.LoadAsync().ConfigureAwait(false);
        }
        catch (Exception error)
        {
            logger.LogCritical(error, "Loading model {Model} from '{Path}' failed; the host stops", runtime.ModelId, runtime.Options.Path);
            runtime.Status.MarkFailed(error.Message);
            lifetime.StopApplication();
        }
    }
}
