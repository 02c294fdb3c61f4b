using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Mustafar.Contracts.Diffusion.V1;
using Mustafar.Gateway.Routing;

namespace Mustafar.Gateway.Clients;

/// <summary>The diffusion encoder pool: model info (cached) and Encode, retried once on another destination.</summary>
public sealed class DiffusionClient
{
    private readonly UpstreamPools _pools;

    public DiffusionClient(UpstreamPools pools, IOptions<GatewayOptions> options, TimeProvider time)
    {
        _pools = pools;
        Info = new ModelInfoSource<ModelInfo>(pools, options.Value.Pools.Diffusion, options.Value.Upstream.ModelInfoTtl, time,
            (channel, deadline, token) => new DiffusionEncoder.DiffusionEncoderClient(channel)
                .GetModelInfoAsync(new GetModelInfoRequest(), deadline: deadline, cancellationToken: token).ResponseAsync);
    }

    public ModelInfoSource<ModelInfo> Info { get; }

    public Task<EncodeResponse> EncodeAsync(EncodeRequest request, HttpContext? context, DateTime deadline, CancellationToken cancellationToken) =>
        _pools.CallIdempotentAsync(Info.Pool, "Encode", context,
            channel => new DiffusionEncoder.DiffusionEncoderClient(channel)
                .EncodeAsync(request, deadline: deadline, cancellationToken: cancellationToken).ResponseAsync,
            cancellationToken);
}
