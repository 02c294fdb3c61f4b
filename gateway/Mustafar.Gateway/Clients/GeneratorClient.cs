using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Mustafar.Gateway.Observability;
using Mustafar.Gateway.Routing;
using Mustafar.Generation.V1;
using Yarp.ReverseProxy.Model;

namespace Mustafar.Gateway.Clients;

/// <summary>
/// The generator pool: model info (cached) and the Generate stream. A destination that is UNAVAILABLE before it
/// sends its first message is retried once on another destination; once a message has arrived nothing is retried,
/// so no client ever sees tokens twice.
/// </summary>
public sealed class GeneratorClient
{
    private readonly UpstreamPools _pools;
    private readonly GatewayMetrics _metrics;

    public GeneratorClient(UpstreamPools pools, IOptions<GatewayOptions> options, GatewayMetrics metrics, TimeProvider time)
    {
        _pools = pools;
        _metrics = metrics;
        Info = new ModelInfoSource<ModelInfo>(pools, options.Value.Pools.Generator, options.Value.Upstream.ModelInfoTtl, time,
            (channel, deadline, token) => new Generator.GeneratorClient(channel)
                .GetModelInfoAsync(new GetModelInfoRequest(), deadline: deadline, cancellationToken: token).ResponseAsync);
    }

    public ModelInfoSource<ModelInfo> Info { get; }

    /// <summary>Starts generating and waits for the first message, so that failures before any output surface here
    /// (and can still become a proper HTTP status). Disposing the stream cancels the call: the generator stops.</summary>
    public async Task<GenerationStream> StartAsync(GenerateRequest request, HttpContext? context, DateTime deadline, CancellationToken cancellationToken)
    {
        DestinationState? failed = null;
        RpcException? firstError = null;
        for (var attempt = 0; ; attempt++)
        {
            UpstreamLease lease;
            try
            {
                lease = _pools.Lease(Info.Pool, context, failed);
            }
            catch (GatewayException) when (firstError is not null)
            {
                throw firstError; // no other destination: report what the one we tried said
            }
            var call = new Generator.GeneratorClient(lease.Channel).Generate(request, deadline: deadline, cancellationToken: cancellationToken);
            try
            {
                if (!await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
                    throw new GatewayException(ErrorKind.BadUpstream, "the generator ended its stream without any message");
                _pools.CountCall(Info.Pool, "Generate", StatusCode.OK);
                return new GenerationStream(call, lease, call.ResponseStream.Current);
            }
            catch (RpcException error)
            {
                call.Dispose();
                lease.Dispose();
                _pools.CountCall(Info.Pool, "Generate", error.StatusCode);
                if (error.StatusCode != StatusCode.Unavailable) throw;
                _pools.ReportUnavailable(lease, error);
                if (attempt > 0 || cancellationToken.IsCancellationRequested) throw;
                _metrics.UpstreamRetries.WithLabels(Info.Pool).Inc();
                failed = lease.Destination;
                firstError = error;
            }
            catch
            {
                call.Dispose();
                lease.Dispose();
                throw;
            }
        }
    }
}

/// <summary>A running Generate call whose first message has arrived.</summary>
public sealed class GenerationStream(AsyncServerStreamingCall<GenerateResponse> call, UpstreamLease lease, GenerateResponse first) : IDisposable
{
    private GenerateResponse? _pending = first;

    /// <summary>The next message, or null at the end of the stream.</summary>
    public async Task<GenerateResponse?> NextAsync(CancellationToken cancellationToken)
    {
        if (_pending is { } pending)
        {
            _pending = null;
            return pending;
        }
        try
        {
            return await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false) ? call.ResponseStream.Current : null;
        }
        catch (RpcException error) when (error.StatusCode is not (StatusCode.Cancelled or StatusCode.DeadlineExceeded) && !cancellationToken.IsCancellationRequested)
        {
            // The client has part of an answer: say so, with the generator's own reason (a crash reads "Error reading
            // next message. HttpIOException: ..." otherwise).
            throw new RpcException(new Status(error.StatusCode, $"the generator stopped in the middle of the answer, which is incomplete: {error.Status.Detail}"),
                error.Trailers);
        }
    }

    public void Dispose()
    {
        call.Dispose();
        lease.Dispose();
    }
}
