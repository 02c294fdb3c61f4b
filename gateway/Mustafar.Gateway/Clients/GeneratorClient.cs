using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Mustafar.Gateway.Routing;
using Mustafar.Contracts.Generation.V1;

namespace Mustafar.Gateway.Clients;

/// <summary>
/// The generator pool: model info (cached) and the Generate stream. A destination that is UNAVAILABLE before it
/// sends its first message is retried once on another destination; once a message has arrived nothing is retried,
/// so no client ever sees tokens twice.
/// </summary>
public sealed class GeneratorClient
{
    private readonly UpstreamPools _pools;

    public GeneratorClient(UpstreamPools pools, IOptions<GatewayOptions> options, TimeProvider time)
    {
        _pools = pools;
        Info = new ModelInfoSource<ModelInfo>(pools, options.Value.Pools.Generator, options.Value.Upstream.ModelInfoTtl, time,
            (channel, deadline, token) => new Generator.GeneratorClient(channel)
                .GetModelInfoAsync(new GetModelInfoRequest(), deadline: deadline, cancellationToken: token).ResponseAsync);
    }

    public ModelInfoSource<ModelInfo> Info { get; }

    /// <summary>Starts generating and waits for the first message, so that failures before any output surface here
    /// (and can still become a proper HTTP status). Disposing the stream cancels the call: the generator stops.</summary>
    public Task<GenerationStream> StartAsync(GenerateRequest request, HttpContext? context, DateTime deadline, CancellationToken cancellationToken) =>
        _pools.CallWithOneRetryAsync(Info.Pool, "Generate", context, async lease =>
        {
            var call = new Generator.GeneratorClient(lease.Channel).Generate(request, deadline: deadline, cancellationToken: cancellationToken);
            try
            {
                if (!await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
                    throw new GatewayException(ErrorKind.BadUpstream, "the generator ended its stream without any message");
                return new GenerationStream(call, lease, call.ResponseStream.Current);
            }
            catch
            {
                call.Dispose();
                throw;
            }
        }, cancellationToken);
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
