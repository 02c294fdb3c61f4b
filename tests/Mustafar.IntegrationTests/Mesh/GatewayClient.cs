using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace Mustafar.IntegrationTests.Mesh;

/// <summary>The gateway's OpenAI-compatible HTTP API as an app developer calls it.</summary>
public sealed class GatewayClient(Uri gateway) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = gateway, Timeout = TimeSpan.FromMinutes(3) };

    public sealed record Answer(string Text, JsonNode Body, HttpResponseMessage Response);

    public static JsonObject ChatBody(byte[] image, string question, bool stream, int maxTokens = 8, JsonObject? mustafar = null)
    {
        var body = Mustafar.Load.Requests.ChatSender.Body(image, question, stream, maxTokens);
        if (mustafar is not null) body["mustafar"] = mustafar;
        return body;
    }

    public Task<HttpResponseMessage> PostAsync(JsonNode body, CancellationToken cancellationToken = default) =>
        _http.PostAsync("/v1/chat/completions", JsonContent.Create(body), cancellationToken);

    /// <summary>A non-streaming completion; fails with the body when the status is not 200.</summary>
    public async Task<Answer> ChatAsync(JsonNode body)
    {
        var response = await PostAsync(body);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"{(int)response.StatusCode}: {text}");
        var json = JsonNode.Parse(text)!;
        return new Answer(json["choices"]![0]!["message"]!["content"]!.GetValue<string>(), json, response);
    }

    /// <summary>A streaming completion: the deltas joined, and the last chunk with a choice (finish reason and metadata).</summary>
    public async Task<Answer> ChatStreamAsync(JsonNode body)
    {
        var response = await _http.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = JsonContent.Create(body) },
            HttpCompletionOption.ResponseHeadersRead);
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var text = new StringBuilder();
        JsonNode? last = null;
        var sawDone = false;
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        while (await reader.ReadLineAsync() is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
            var data = line["data: ".Length..];
            if (data == "[DONE]") { sawDone = true; break; }
            var chunk = JsonNode.Parse(data)!;
            if (chunk["error"] is not null) throw new HttpRequestException($"stream error: {data}");
            if (chunk["choices"] is JsonArray { Count: 0 }) continue; // the usage (stream_options.include_usage)
            text.Append(chunk["choices"]?[0]?["delta"]?["content"]?.GetValue<string>());
            last = chunk;
        }
        if (!sawDone) throw new HttpRequestException("the stream ended without data: [DONE]");
        return new Answer(text.ToString(), last!, response);
    }

    public void Dispose() => _http.Dispose();
}
