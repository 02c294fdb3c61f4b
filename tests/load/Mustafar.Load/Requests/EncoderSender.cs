using Google.Protobuf;
using Grpc.Core;
using Mustafar.Contracts.Clip.V1;
using Mustafar.Contracts.Diffusion.V1;

namespace Mustafar.Load.Requests;

/// <summary>Encoder-only calls with the services' default options: CLIP Encode (through the gateway's route to the
/// CLIP pool) and diffusion Encode (direct or routed) with the question as prompt. An OK answer without feature
/// bytes is "incomplete".</summary>
public sealed class EncoderSender(ClipEncoder.ClipEncoderClient? clip, DiffusionEncoder.DiffusionEncoderClient? diffusion, TimeSpan timeout, Metadata headers)
{
    public async Task<SendResult> ClipAsync(RequestPlan plan, CancellationToken cancellationToken)
    {
        try
        {
            var response = await MeshSender.Need(clip).EncodeAsync(new Contracts.Clip.V1.EncodeRequest { Image = ByteString.CopyFrom(plan.Image) },
                headers, DateTime.UtcNow + timeout, cancellationToken).ConfigureAwait(false);
            return response.Features is { Data.Length: > 0 } ? SendResult.Success() : SendResult.Incomplete("an OK Encode answer without features");
        }
        catch (RpcException error) when (!cancellationToken.IsCancellationRequested)
        {
            return AskSender.GrpcFailure(error);
        }
    }

    public async Task<SendResult> DiffusionAsync(RequestPlan plan, CancellationToken cancellationToken)
    {
        try
        {
            var response = await MeshSender.Need(diffusion).EncodeAsync(new Contracts.Diffusion.V1.EncodeRequest { Image = ByteString.CopyFrom(plan.Image), Prompt = plan.Question },
                headers, DateTime.UtcNow + timeout, cancellationToken).ConfigureAwait(false);
            return response.Features.Count > 0 && response.Features.All(f => f.Features is { Data.Length: > 0 })
                ? SendResult.Success()
                : SendResult.Incomplete("an OK Encode answer without tap features");
        }
        catch (RpcException error) when (!cancellationToken.IsCancellationRequested)
        {
            return AskSender.GrpcFailure(error);
        }
    }
}
