using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Mustafar.Gateway.Observability;
using Mustafar.Gateway.Pipeline;
using Mustafar.Tensors;

namespace Mustafar.Gateway.Api;

/// <summary>POST /v1/chat/completions, OpenAI-compatible: one JSON answer, or with "stream": true SSE
/// "chat.completion.chunk" events ending with "data: [DONE]".</summary>
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

            var completion = new Completion("chatcmpl-" + Guid.NewGuid().ToString("N"), DateTimeOffset.UtcNow.ToUnixTimeSeconds(), run.Summary.Model);
            var logprobs = request.Logprobs == true;
            if (request.Stream)
            {
                streaming = true;
                await StreamAsync(context, run, completion, request.StreamOptions?.IncludeUsage == true, logprobs, scope.Token).ConfigureAwait(false);
            }
            else
            {
                await RespondAsync(context, run, completion, logprobs, scope.Token).ConfigureAwait(false);
            }
        }
        catch (Exception error)
        {
            await HttpFailures.HandleAsync(context, scope, error, logger, streaming).ConfigureAwait(false);
        }
    }

    private sealed record Completion(string Id, long Created, string Model);

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
            return JsonSerializer.Deserialize<ChatCompletionRequest>(body.Span, ApiJson.Options)
                ?? throw new InvalidInputException("body", "the body is empty");
        }
        catch (JsonException error)
        {
            throw JsonInput.Invalid(error, "chat completion request");
        }
    }

    /// <summary>As OpenAI streams: the role, the content deltas, a chunk with the finish reason (and Mustafar's
    /// metadata); with <paramref name="includeUsage"/> one more with "choices": [] and the usage, and "usage": null
    /// in all the others. With <paramref name="logprobs"/>, each content chunk's choice carries its tokens'
    /// log-probabilities ("logprobs": {"content": [...]}); otherwise "logprobs": null, as OpenAI sends it.</summary>
    private static async Task StreamAsync(HttpContext context, VqaRun run, Completion completion, bool includeUsage, bool logprobs,
        CancellationToken cancellationToken)
    {
        var response = context.Response;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        AnswerMetadata.WriteHeaders(response.Headers, run.Summary);
        await response.StartAsync(cancellationToken).ConfigureAwait(false);

        await WriteEventAsync(response, Chunk(completion, Choice(new { role = "assistant", content = "" }, null, null), includeUsage), cancellationToken).ConfigureAwait(false);
        await foreach (var message in run.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (message is AnswerDelta delta)
            {
                var tokens = logprobs ? ChatLogprobs.Json(delta.Logprobs) : null;
                await WriteEventAsync(response, Chunk(completion, Choice(new { content = delta.Text }, null, tokens), includeUsage), cancellationToken).ConfigureAwait(false);
                continue;
            }
            var done = ((AnswerDone)message).Summary;
            var final = Chunk(completion, Choice(new { }, AnswerMetadata.FinishReason(done.FinishReason), null), includeUsage);
            final["mustafar"] = AnswerMetadata.Json(done);
            await WriteEventAsync(response, final, cancellationToken).ConfigureAwait(false);
            if (includeUsage)
            {
                var usage = Chunk(completion, [], includeUsage);
                usage["usage"] = Usage(done);
                await WriteEventAsync(response, usage, cancellationToken).ConfigureAwait(false);
            }
        }
        await response.WriteAsync("data: [DONE]\n\n", cancellationToken).ConfigureAwait(false);
        await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static object[] Choice(object delta, string? finishReason, object? logprobs) => [new { index = 0, delta, logprobs, finish_reason = finishReason }];

    /// <summary>A chunk's fields in OpenAI's order (a dictionary, so that the final chunks can add theirs).</summary>
    private static Dictionary<string, object?> Chunk(Completion completion, object[] choices, bool includeUsage)
    {
        var chunk = new Dictionary<string, object?>
        {
            ["id"] = completion.Id,
            ["object"] = "chat.completion.chunk",
            ["created"] = completion.Created,
            ["model"] = completion.Model,
            ["choices"] = choices,
        };
        if (includeUsage) chunk["usage"] = null;
        return chunk;
    }

    private static async Task WriteEventAsync(HttpResponse response, object payload, CancellationToken cancellationToken)
    {
        await response.WriteAsync("data: " + JsonSerializer.Serialize(payload, ApiJson.Options) + "\n\n", cancellationToken).ConfigureAwait(false);
        await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task RespondAsync(HttpContext context, VqaRun run, Completion completion, bool logprobs, CancellationToken cancellationToken)
    {
        var tokens = logprobs ? new List<TokenLogProbability>() : null;
        var (answer, done) = await CollectAsync(run, cancellationToken, tokens).ConfigureAwait(false);
        AnswerMetadata.WriteHeaders(context.Response.Headers, done);
        await context.Response.WriteAsJsonAsync(new
        {
            id = completion.Id,
            @object = "chat.completion",
            created = completion.Created,
            model = completion.Model,
            choices = new[]
            {
                new
                {
                    index = 0,
                    message = new { role = "assistant", content = answer },
                    logprobs = tokens is null ? null : ChatLogprobs.Json(tokens),
                    finish_reason = AnswerMetadata.FinishReason(done.FinishReason),
                },
            },
            usage = Usage(done),
            mustafar = AnswerMetadata.Json(done),
        }, ApiJson.Options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The whole answer and the final message; the tokens' log-probabilities go to <paramref name="logprobs"/>.</summary>
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

    public static object Usage(AnswerSummary done) => new
    {
        prompt_tokens = done.PromptTokens,
        completion_tokens = done.CompletionTokens,
        total_tokens = done.PromptTokens + done.CompletionTokens,
    };
}
