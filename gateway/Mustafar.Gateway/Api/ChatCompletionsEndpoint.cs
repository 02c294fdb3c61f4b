using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Mustafar.Gateway.Api.OpenAi;
using Mustafar.Gateway.Observability;
using Mustafar.Gateway.Pipeline;
using Mustafar.Tensors;

namespace Mustafar.Gateway.Api;

/// <summary>POST /v1/chat/completions, OpenAI-compatible: the body is read into a <see cref="ChatCompletionRequest"/>,
/// mapped into the pipeline's <see cref="VqaRequest"/>, and the pipeline's answer is written back as one
/// <see cref="ChatCompletion"/> or, with "stream": true, as <see cref="ChatCompletionChunk"/> events ending with
/// "data: [DONE]".</summary>
public sealed class ChatCompletionsEndpoint(VqaPipeline pipeline, ChatRequestMapper mapper, IOptions<GatewayOptions> options,
    GatewayMetrics metrics, LargeBodyMemory largeBodies, IgnoredFieldLog ignoredFields, ILogger<ChatCompletionsEndpoint> logger)
{
    public async Task HandleAsync(HttpContext context)
    {
        using var largeBody = largeBodies.Track();
        using var scope = new RequestScope(context, options.Value, metrics, "http_chat", DateTime.MaxValue);
        var streaming = false;
        try
        {
            HttpFailures.LimitBody(context, options.Value.Limits.MaxRequestBodyBytes);
            JsonInput.RequireJson(context.Request);
            var request = await ReadAsync(context, options.Value.Limits, largeBody, scope.Token).ConfigureAwait(false);
            UnsupportedFields.Refuse(request);
            ignoredFields.Note("chat", request.Ignored);
            if (request.StreamOptions is not null && !request.Stream)
                throw new InvalidInputException("stream_options", "is only allowed with \"stream\": true");
            var settings = ChatSettings.From(request, HttpAnswerSettings.HeaderBypass(context.Request.Headers));
            var input = await mapper.MapAsync(request, settings.SystemPrompt, scope.Token).ConfigureAwait(false);
            scope.Fields = RequestFields.Chat(input.ImageField, $"messages[{request.Messages!.Count - 1}].content",
                settings.Diffusion.PromptMode == DiffusionPromptMode.Custom, request.MaxCompletionTokens is not null);

            using var run = await pipeline.StartAsync(new VqaRequest
            {
                Image = input.Image,
                ImageField = input.ImageField,
                Conversation = input.Conversation,
                Question = input.Question,
                Settings = settings,
                Deadline = scope.Deadline,
                HttpContext = context,
                RequestId = context.TraceIdentifier,
                ReceivedAt = scope.ReceivedAt,
            }, scope.Token).ConfigureAwait(false);

            var header = CompletionHeader.New(run.Summary.Model);
            if (request.Stream)
            {
                streaming = true;
                await StreamAsync(context, run, header, request.StreamOptions?.IncludeUsage == true, settings.Sampling.Logprobs, scope.Token).ConfigureAwait(false);
            }
            else
            {
                await RespondAsync(context, run, header, settings.Sampling.Logprobs, scope.Token).ConfigureAwait(false);
            }
        }
        catch (Exception error)
        {
            await HttpFailures.HandleAsync(context, scope, error, logger, streaming).ConfigureAwait(false);
        }
    }

    /// <summary>The body read whole and checked (size, UTF-8, counts) before the serializer builds the request from it.</summary>
    private static async Task<ChatCompletionRequest> ReadAsync(HttpContext context, LimitOptions limits, LargeBodyMemory.Scope largeBody,
        CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadAsync(context.Request, limits.MaxRequestBodyBytes, cancellationToken).ConfigureAwait(false);
        largeBody.Observe(body.Length);
        Utf8Body.Require(body.Span);
        ChatBodyCounts.Check(body.Span, limits);
        try
        {
            return JsonSerializer.Deserialize(body.Span, ApiJsonContext.Default.ChatCompletionRequest)
                ?? throw new InvalidInputException("body", "the body is empty");
        }
        catch (JsonException error)
        {
            throw JsonInput.Invalid(error, "chat completion request");
        }
    }

    private static async Task StreamAsync(HttpContext context, VqaRun run, CompletionHeader header, bool includeUsage, bool logprobs,
        CancellationToken cancellationToken)
    {
        var response = context.Response;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        AnswerMetadata.WriteHeaders(response.Headers, run.Summary);
        await response.StartAsync(cancellationToken).ConfigureAwait(false);
        var events = ChatResponses.StreamAsync(header, run.ReadAsync(cancellationToken), includeUsage, logprobs);
        await ChatStream.WriteAsync(response, events, cancellationToken).ConfigureAwait(false);
    }

    private static async Task RespondAsync(HttpContext context, VqaRun run, CompletionHeader header, bool logprobs, CancellationToken cancellationToken)
    {
        var tokens = logprobs ? new List<TokenLogProbability>() : null;
        var (answer, done) = await CollectAsync(run, cancellationToken, tokens).ConfigureAwait(false);
        AnswerMetadata.WriteHeaders(context.Response.Headers, done);
        await context.Response.WriteAsJsonAsync(ChatResponses.Completion(header, answer, done, tokens), ApiJsonContext.Default.ChatCompletion,
            cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The whole answer and the final summary; the tokens' log-probabilities go to <paramref name="logprobs"/>.</summary>
    public static async Task<(string Answer, AnswerSummary Done)> CollectAsync(VqaRun run, CancellationToken cancellationToken,
        List<TokenLogProbability>? logprobs = null)
    {
        var answer = new StringBuilder();
        AnswerSummary? done = null;
        await foreach (var message in run.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (message is AnswerDone end)
            {
                done = end.Summary;
                continue;
            }
            var delta = (AnswerDelta)message;
            answer.Append(delta.Text);
            logprobs?.AddRange(delta.Logprobs);
        }
        return (answer.ToString(), done!);
    }
}
