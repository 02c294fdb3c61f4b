using Grpc.Core;
using Microsoft.Extensions.Options;
using Mustafar.Gateway.Observability;
using Mustafar.Gateway.Pipeline;
using Mustafar.Tensors;
using Mustafar.Contracts.Vqa.V1;

namespace Mustafar.Gateway.Api;

/// <summary>The gRPC face: <c>VisualQuestionAnswering.Ask</c> over the same pipeline. The client's deadline
/// (grpc-timeout) bounds every service call; cancelling the call cancels the generation. Response headers carry the
/// image id, cache statuses and timings known before the first token; the final message carries all of them.</summary>
public sealed class VqaGrpcService(VqaPipeline pipeline, IOptions<GatewayOptions> options, GatewayMetrics metrics, LargeBodyMemory largeBodies,
    ILogger<VqaGrpcService> logger)
    : VisualQuestionAnswering.VisualQuestionAnsweringBase
{
    public override async Task Ask(AskRequest request, IServerStreamWriter<AskResponse> responseStream, ServerCallContext context)
    {
        var http = context.GetHttpContext();
        using var largeBody = largeBodies.Track();
        largeBody.Observe(request.Image.Length); // the message was read whole, as an HTTP body is
        using var scope = new RequestScope(http, options.Value, metrics, "grpc_ask", context.Deadline);
        try
        {
            if (string.IsNullOrWhiteSpace(request.Question))
                throw new GatewayException(ErrorKind.InvalidInput, "is required", "question", "missing_question");
            if (request.Options is { } asked && !Enum.IsDefined(asked.PromptMode))
                throw new GatewayException(ErrorKind.InvalidInput, $"{(int)asked.PromptMode} is not a known PromptMode value", "options.prompt_mode", "invalid_value");
            var settings = GatewayProtoMapping.ToDomain(request.Options);
            if (HttpAnswerSettings.HeaderBypass(http.Request.Headers)) settings = settings with { BypassCache = true };
            scope.Fields = RequestFields.Ask(settings.Diffusion.PromptMode == DiffusionPromptMode.Custom);

            using var run = await pipeline.StartAsync(new VqaRequest
            {
                Image = request.Image.Memory,
                ImageField = "image",
                Conversation = Conversation.SingleQuestion(request.Question, settings.SystemPrompt),
                Question = request.Question,
                Settings = settings,
                Deadline = scope.Deadline,
                HttpContext = http,
                RequestId = http.TraceIdentifier,
                ReceivedAt = scope.ReceivedAt,
            }, scope.Token).ConfigureAwait(false);

            await context.WriteResponseHeadersAsync(Headers(run.Summary)).ConfigureAwait(false);
            await foreach (var message in run.ReadAsync(scope.Token).ConfigureAwait(false))
                await responseStream.WriteAsync(GatewayProtoMapping.ToProto(message), scope.Token).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            var error = scope.Classify(exception);
            if (error.Kind == ErrorKind.BadUpstream)
                logger.LogError(exception, "Ask failed: {Message}", error.Message);
            else
                logger.LogInformation("Ask answered {Status}: {Message}", ErrorMapping.GrpcStatus(error.Kind), error.Message);
            // As the model services do: the field at fault is the message's prefix and a trailer of its own.
            var trailers = new Metadata();
            if (error.Param is { Length: > 0 } field) trailers.Add(ErrorTrailers.Field, field);
            throw new RpcException(new Status(ErrorMapping.GrpcStatus(error.Kind), ErrorMapping.GrpcMessage(error)), trailers);
        }
    }

    private static Metadata Headers(AnswerSummary summary)
    {
        var t = summary.Timings;
        return new Metadata
        {
            { "x-mustafar-image-id", summary.ImageId },
            { "x-mustafar-model", summary.Model },
            { "x-mustafar-cache", AnswerMetadata.CacheHeader(summary) },
            { "server-timing", FormattableString.Invariant($"decode;dur={t.DecodeImageMs:0.###}, clip;dur={t.ClipMs:0.###}, diffusion;dur={t.DiffusionMs:0.###}") },
        };
    }
}
