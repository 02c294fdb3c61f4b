using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Mustafar.Gateway.Observability;
using Mustafar.Gateway.Pipeline;
using Mustafar.Tensors;
using Mustafar.Vqa.V1;

namespace Mustafar.Gateway.Api;

/// <summary>POST /v1/chat/completions, OpenAI-compatible: one JSON answer, or with "stream": true SSE
/// "chat.completion.chunk" events ending with "data: [DONE]".</summary>
public sealed class ChatCompletionsEndpoint(VqaPipeline pipeline, ChatRequestMapper mapper, IOptions<GatewayOptions> options,
    GatewayMetrics metrics, ILogger<ChatCompletionsEndpoint> logger)
{
    public async Task HandleAsync(HttpContext context)
    {
        using var scope = new RequestScope(context, options.Value, metrics, "http_chat", DateTime.MaxValue);
        var streaming = false;
        try
        {
            HttpFailures.LimitBody(context, options.Value.Limits.MaxRequestBodyBytes);
            JsonInput.RequireJson(context.Request);
            var request = await ReadAsync(context, scope.Token).ConfigureAwait(false);
            var sampling = AskOptionsBuilder.Sampling(request.MaxCompletionTokens ?? request.MaxTokens, request.Temperature, request.TopP,
                request.Seed, ReadStop(request.Stop), maxTokensField: request.MaxCompletionTokens is not null ? "max_completion_tokens" : "max_tokens");
            var askOptions = AskOptionsBuilder.FromMustafar(request.Mustafar, request.Model, sampling,
                AskOptionsBuilder.HeaderBypass(context.Request.Headers), "mustafar.");
            var input = await mapper.MapAsync(request, askOptions.SystemPrompt, scope.Token).ConfigureAwait(false);
            scope.Fields = RequestFields.Chat(input.ImageField, $"messages[{request.Messages!.Count - 1}].content",
                askOptions.PromptMode == PromptMode.Custom, request.MaxCompletionTokens is not null);

            using var run = await pipeline.StartAsync(new VqaRequest
            {
                Image = input.Image,
                ImageField = input.ImageField,
                Messages = input.Messages,
                Question = input.Question,
                Options = askOptions,
                Deadline = scope.Deadline,
                HttpContext = context,
                RequestId = context.TraceIdentifier,
                ReceivedAt = scope.ReceivedAt,
            }, scope.Token).ConfigureAwait(false);

            var completion = new Completion("chatcmpl-" + Guid.NewGuid().ToString("N"), DateTimeOffset.UtcNow.ToUnixTimeSeconds(), run.Summary.Model);
            if (request.Stream)
            {
                streaming = true;
                await StreamAsync(context, run, completion, scope.Token).ConfigureAwait(false);
            }
            else
            {
                await RespondAsync(context, run, completion, scope.Token).ConfigureAwait(false);
            }
        }
        catch (Exception error)
        {
            await HttpFailures.HandleAsync(context, scope, error, logger, streaming).ConfigureAwait(false);
        }
    }

    private sealed record Completion(string Id, long Created, string Model);

    private static async Task<ChatCompletionRequest> ReadAsync(HttpContext context, CancellationToken cancellationToken)
    {
        try
        {
            return await JsonSerializer.DeserializeAsync<ChatCompletionRequest>(context.Request.Body, ApiJson.Options, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidInputException("body", "the body is empty");
        }
        catch (JsonException error)
        {
            throw JsonInput.Invalid(error, "chat completion request");
        }
    }

    private static List<string> ReadStop(JsonElement stop) => stop.ValueKind switch
    {
        JsonValueKind.Undefined or JsonValueKind.Null => [],
        JsonValueKind.String => [JsonInput.Text(stop, "stop")],
        JsonValueKind.Array when stop.EnumerateArray().All(s => s.ValueKind == JsonValueKind.String) =>
            stop.EnumerateArray().Select((s, i) => JsonInput.Text(s, $"stop[{i}]")).ToList(),
        _ => throw new InvalidInputException("stop", "must be a string or an array of strings"),
    };

    private static async Task StreamAsync(HttpContext context, VqaRun run, Completion completion, CancellationToken cancellationToken)
    {
        var response = context.Response;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        AnswerMetadata.WriteHeaders(response.Headers, run.Summary);
        await response.StartAsync(cancellationToken).ConfigureAwait(false);

        await WriteEventAsync(response, Chunk(completion, new { role = "assistant", content = "" }, null), cancellationToken).ConfigureAwait(false);
        await foreach (var message in run.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (message.EventCase == AskResponse.EventOneofCase.Delta)
            {
                await WriteEventAsync(response, Chunk(completion, new { content = message.Delta.Text }, null), cancellationToken).ConfigureAwait(false);
                continue;
            }
            var done = message.Done;
            var final = new
            {
                id = completion.Id,
                @object = "chat.completion.chunk",
                created = completion.Created,
                model = completion.Model,
                choices = new[] { new { index = 0, delta = new { }, finish_reason = AnswerMetadata.FinishReason(done.FinishReason) } },
                usage = Usage(done),
                mustafar = AnswerMetadata.Json(done),
            };
            await WriteEventAsync(response, final, cancellationToken).ConfigureAwait(false);
        }
        await response.WriteAsync("data: [DONE]\n\n", cancellationToken).ConfigureAwait(false);
        await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static object Chunk(Completion completion, object delta, string? finishReason) => new
    {
        id = completion.Id,
        @object = "chat.completion.chunk",
        created = completion.Created,
        model = completion.Model,
        choices = new[] { new { index = 0, delta, finish_reason = finishReason } },
    };

    private static async Task WriteEventAsync(HttpResponse response, object payload, CancellationToken cancellationToken)
    {
        await response.WriteAsync("data: " + JsonSerializer.Serialize(payload, ApiJson.Options) + "\n\n", cancellationToken).ConfigureAwait(false);
        await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task RespondAsync(HttpContext context, VqaRun run, Completion completion, CancellationToken cancellationToken)
    {
        var (answer, done) = await CollectAsync(run, cancellationToken).ConfigureAwait(false);
        AnswerMetadata.WriteHeaders(context.Response.Headers, done);
        await context.Response.WriteAsJsonAsync(new
        {
            id = completion.Id,
            @object = "chat.completion",
            created = completion.Created,
            model = completion.Model,
            choices = new[]
            {
                new { index = 0, message = new { role = "assistant", content = answer }, finish_reason = AnswerMetadata.FinishReason(done.FinishReason) },
            },
            usage = Usage(done),
            mustafar = AnswerMetadata.Json(done),
        }, ApiJson.Options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The whole answer and the final message.</summary>
    public static async Task<(string Answer, AskResult Done)> CollectAsync(VqaRun run, CancellationToken cancellationToken)
    {
        var answer = new StringBuilder();
        AskResult? done = null;
        await foreach (var message in run.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (message.EventCase == AskResponse.EventOneofCase.Delta) answer.Append(message.Delta.Text);
            else done = message.Done;
        }
        return (answer.ToString(), done!);
    }

    public static object Usage(AskResult done) => new
    {
        prompt_tokens = done.PromptTokens,
        completion_tokens = done.CompletionTokens,
        total_tokens = done.PromptTokens + done.CompletionTokens,
    };
}
