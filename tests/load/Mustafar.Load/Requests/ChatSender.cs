using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mustafar.Load.Requests;

/// <summary>POST /v1/chat/completions, as one JSON answer or as SSE. An SSE stream counts as a success only when it
/// ends with a final chunk (finish_reason, metadata), one with the usage and "data: [DONE]"; an error event is the error it
/// names, and a stream cut short is "incomplete": never a truncated answer that looks like success.</summary>
public sealed class ChatSender(HttpClient http, int maxTokens, string? apiKey, IReadOnlyList<int> bannedTokens)
{
    public async Task<SendResult> SendAsync(RequestPlan plan, bool stream, Action firstToken, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = new StringContent(Body(plan, stream).ToJsonString(), Encoding.UTF8, "application/json"),
        };
        if (apiKey is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK) return await FailureAsync(response, cancellationToken).ConfigureAwait(false);
        return stream
            ? await ReadStreamAsync(response, firstToken, cancellationToken).ConfigureAwait(false)
            : await ReadAnswerAsync(response, cancellationToken).ConfigureAwait(false);
    }

    private JsonObject Body(RequestPlan plan, bool stream) => Body(plan.Image, plan.Question, stream, maxTokens, bannedTokens);

    /// <summary>A greedy chat completion request: the question and the image (a PNG data URL) in one user turn. A
    /// stream asks for its usage (OpenAI's stream_options.include_usage), which the load report counts.</summary>
    public static JsonObject Body(byte[] image, string question, bool stream, int maxTokens, IReadOnlyList<int>? bannedTokens = null)
    {
        var body = Body(image, question, maxTokens);
        if (bannedTokens is { Count: > 0 })
            body["logit_bias"] = new JsonObject(bannedTokens.Distinct().Select(id =>
                KeyValuePair.Create(id.ToString(System.Globalization.CultureInfo.InvariantCulture), (JsonNode?)JsonValue.Create(-100))));
        body["stream"] = stream;
        if (stream) body["stream_options"] = new JsonObject { ["include_usage"] = true };
        return body;
    }

    private static JsonObject Body(byte[] image, string question, int maxTokens) => new()
    {
        ["max_tokens"] = maxTokens,
        ["temperature"] = 0,
        ["messages"] = new JsonArray(new JsonObject
        {
            ["role"] = "user",
            ["content"] = new JsonArray(
                new JsonObject { ["type"] = "text", ["text"] = question },
                new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = "data:image/png;base64," + Convert.ToBase64String(image) } }),
        }),
    };

    private static async Task<SendResult> FailureAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var message = TryParse(text)?["error"]?["message"]?.GetValue<string>() ?? text;
        return new SendResult($"http {status}", message, status is 429 or 503);
    }

    private static async Task<SendResult> ReadAnswerAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var body = TryParse(text);
        if (body?["choices"]?[0]?["message"]?["content"] is not JsonValue)
            return SendResult.Incomplete($"a 200 answer without choices[0].message.content: {Shorten(text)}");
        return SendResult.Success(ReadCache(body["mustafar"]), body["usage"]?["completion_tokens"]?.GetValue<int>() ?? 0);
    }

    private static async Task<SendResult> ReadStreamAsync(HttpResponseMessage response, Action firstToken, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));
        JsonNode? final = null;
        JsonNode? usage = null;
        SendResult? error = null;
        var sawToken = false;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
            var data = line["data: ".Length..];
            if (data == "[DONE]")
            {
                if (error is not null) return error;
                return final is null
                    ? SendResult.Incomplete("the stream ended with [DONE] but without a final chunk (finish_reason)")
                    : SendResult.Success(ReadCache(final["mustafar"]), usage?["completion_tokens"]?.GetValue<int>() ?? 0);
            }
            var chunk = TryParse(data);
            if (chunk is null) return SendResult.Incomplete($"an SSE event that is not JSON: {Shorten(data)}");
            if (chunk["error"] is { } problem)
            {
                var type = problem["type"]?.GetValue<string>() ?? "unknown";
                error = new SendResult($"sse {type}", problem["message"]?.GetValue<string>(), type is "service_unavailable_error" or "rate_limit_error");
                continue;
            }
            if (chunk["usage"] is JsonObject counted) usage = counted;
            if (chunk["choices"] is JsonArray { Count: 0 }) continue; // the usage chunk, after the final one
            if (!sawToken && chunk["choices"]?[0]?["delta"]?["content"]?.GetValue<string>() is { Length: > 0 })
            {
                sawToken = true;
                firstToken();
            }
            if (chunk["choices"]?[0]?["finish_reason"] is JsonValue) final = chunk;
        }
        return error ?? SendResult.Incomplete("the stream ended without data: [DONE]");
    }

    private static CacheStatuses? ReadCache(JsonNode? mustafar) => mustafar?["cache"] is { } cache
        ? new CacheStatuses(Status(cache["clip"]), Status(cache["diffusion_conditional"]), Status(cache["diffusion_unconditional"]))
        : null;

    private static string Status(JsonNode? node) => node?.GetValue<string>() ?? "not_used";

    private static JsonNode? TryParse(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "...";
}
