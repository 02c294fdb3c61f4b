using System.Diagnostics;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;
using Mustafar.ServiceDefaults;

namespace Mustafar.Serving;

/// <summary>
/// Wraps every call to the model service: refuses it with UNAVAILABLE unless the model is ready, counts it in
/// flight (graceful drain waits for it), maps exceptions with <see cref="ErrorMapper"/>, and records the call's
/// status code and duration, and names the model on the call's server span. Health and reflection calls do not pass
/// through here.
/// </summary>
internal sealed class ServingInterceptor(ServingStatus status, ServingMetrics metrics, ILogger<ServingInterceptor> logger) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation) =>
        GuardAsync(context, () => continuation(request, context));

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation) =>
        GuardAsync(context, () => continuation(requestStream, context));

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation) =>
        GuardAsync(context, async () =>
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
            return true;
        });

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation) =>
        GuardAsync(context, async () =>
        {
            await continuation(requestStream, responseStream, context).ConfigureAwait(false);
            return true;
        });

    private async Task<T> GuardAsync<T>(ServerCallContext context, Func<Task<T>> call)
    {
        var started = Stopwatch.GetTimestamp();
        var code = StatusCode.OK;
        Activity.Current?.SetTag(SpanTags.Model, status.ModelId);
        metrics.CallStarted();
        try
        {
            using var lease = status.EnterCall();
            return await call().ConfigureAwait(false);
        }
        catch (Exception error)
        {
            var mapped = ErrorMapper.ToRpcException(error, context, logger);
            code = mapped.StatusCode;
            throw mapped;
        }
        finally
        {
            metrics.CallEnded(context.Method, code, Stopwatch.GetElapsedTime(started));
        }
    }
}
