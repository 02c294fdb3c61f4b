using Google.Protobuf;
using Grpc.Core;
using Mustafar.Contracts;
using Mustafar.Contracts.Generation.V1;
using Mustafar.Contracts.Vqa.V1;

namespace Mustafar.Load.Requests;

/// <summary>gRPC VisualQuestionAnswering.Ask: deltas, then the final AskResult. A stream that ends without the
/// result is "incomplete"; a status other than OK is the error it names.</summary>
public sealed class AskSender(VisualQuestionAnswering.VisualQuestionAnsweringClient client, int maxTokens, IReadOnlyList<int> bannedTokens, TimeSpan timeout, Metadata headers)
{
    public async Task<SendResult> SendAsync(RequestPlan plan, Action firstToken, CancellationToken cancellationToken)
    {
        var sampling = new SamplingParams { MaxNewTokens = maxTokens, Temperature = 0 };
        foreach (var id in bannedTokens) sampling.LogitBias[id] = -100;
        var request = new AskRequest
        {
            Image = ByteString.CopyFrom(plan.Image),
            Question = plan.Question,
            Options = new AskOptions { Sampling = sampling },
        };
        try
        {
            using var call = client.Ask(request, headers, DateTime.UtcNow + timeout, cancellationToken);
            AskResult? done = null;
            var sawToken = false;
            await foreach (var message in call.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (message.EventCase == AskResponse.EventOneofCase.Done)
                {
                    done = message.Done;
                }
                else if (!sawToken && message.Delta.Text.Length > 0)
                {
                    sawToken = true;
                    firstToken();
                }
            }
            if (done is null) return SendResult.Incomplete("the Ask stream ended OK without its final AskResult");
            return SendResult.Success(new CacheStatuses(done.ClipCache.ShortName(), done.DiffusionConditionalCache.ShortName(), done.DiffusionUnconditionalCache.ShortName()),
                done.CompletionTokens);
        }
        catch (RpcException error) when (!cancellationToken.IsCancellationRequested)
        {
            return GrpcFailure(error);
        }
    }

    /// <summary>"grpc Unavailable" with the status detail; UNAVAILABLE and RESOURCE_EXHAUSTED are retryable.</summary>
    public static SendResult GrpcFailure(RpcException error) =>
        new($"grpc {error.StatusCode}", error.Status.Detail, error.StatusCode is StatusCode.Unavailable or StatusCode.ResourceExhausted);
}
