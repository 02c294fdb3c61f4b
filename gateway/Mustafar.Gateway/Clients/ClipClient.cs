using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Mustafar.Contracts.Clip.V1;
using Mustafar.Gateway.Routing;

namespace Mustafar.Gateway.Clients;

/// <summary>The CLIP encoder pool: model info (cached) and Encode, retried once on another destination.</summary>
public sealed class ClipClient
{
    private readonly UpstreamPools _pools;

    public ClipClient(UpstreamPools pools, IOptions<GatewayOptions> options, TimeProvider time)
    {
        _pools = pools;
        Info = new ModelInfoSource<ModelInfo>(pools, options.Value.Pools.Clip, options.Value.Upstream.ModelInfoTtl, time,
            (channel, deadline, token) => new ClipEncoder.ClipEncoderClient(channel)
                .GetModelInfoAsync(new GetModelInfoRequest(), deadline: deadline, cancellationToken: token).ResponseAsync);
    }

    public ModelInfoSource<ModelInfo> Info { get; }

    public Task<EncodeResponse> EncodeAsync(ReadOnlyMemory<byte> image, EncodeOptions encodeOptions, HttpContext? context,
        DateTime deadline, CancellationToken cancellationToken)
    {
        var request = new EncodeRequest { Image = UnsafeByteOperations.UnsafeWrap(image), Options = encodeOptions };
        return _pools.CallIdempotentAsync(Info.Pool, "Encode", context,
            channel => new ClipEncoder.ClipEncoderClient(channel)
                .EncodeAsync(request, deadline: deadline, cancellationToken: cancellationToken).ResponseAsync,
            cancellationToken);
    }
}
