using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mustafar.Gateway.Tests;

/// <summary>Builds OpenAI chat requests and reads the gateway's answers (JSON and SSE) as a client would.</summary>
public static class ChatApi
{
    public static JsonObject Request(string imageUrl, string question, JsonObject? mustafar = null, bool stream = false, string? model = null)
    {
        var request = new JsonObject
        {
            ["messages"] = new JsonArray(new JsonObject
            {
                ["role"] = "user",
                ["content"] = new JsonArray(
                    new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = imageUrl } },
                    new JsonObject { ["type"] = "text", ["text"] = question }),
            }),
            ["stream"] = stream,
            ["max_tokens"] = 6,
        };
        if (model is not null) request["model"] = model;
        if (mustafar is not null) request["mustafar"] = mustafar;
        return request;
    }

    public static Task<HttpResponseMessage> PostAsync(HttpClient http, JsonNode body, string? cacheHeader = null, string? apiKey = null)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        if (cacheHeader is not null) message.Headers.Add("X-Mustafar-Cache", cacheHeader);
        if (apiKey is not null) message.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", apiKey);
        return http.SendAsync(message);
    }

    /// <summary>Posts and reads the whole answer, unless <paramref name="cancellationToken"/> abandons it first.</summary>
    public static async Task<string> PostAsyncCancellable(HttpClient http, JsonNode body, CancellationToken cancellationToken)
    {
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await http.PostAsync("/v1/chat/completions", content, cancellationToken);
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    /// <summary>Posts and requires 200; returns the answer JSON.</summary>
    public static async Task<JsonElement> AskAsync(HttpClient http, JsonNode body, string? cacheHeader = null)
    {
        using var response = await PostAsync(http, body, cacheHeader);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"HTTP {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static string Answer(JsonElement completion) => completion.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;

    public static string Cache(JsonElement completion, string feature) =>
        completion.GetProperty("mustafar").GetProperty("cache").GetProperty(feature).GetString()!;

    /// <summary>The "data:" payloads of an SSE body, in order.</summary>
    public static List<string> SseEvents(string body) =>
        body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(e => e.Trim())
            .Where(e => e.StartsWith("data: ", StringComparison.Ordinal))
            .Select(e => e["data: ".Length..])
            .ToList();

    /// <summary>Asserts the OpenAI error shape and returns the error object.</summary>
    public static async Task<JsonElement> ErrorAsync(HttpResponseMessage response, int status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected HTTP {status}, got {(int)response.StatusCode}: {text}");
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.MediaType ?? "");
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error").Clone();
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.False(string.IsNullOrEmpty(error.GetProperty("type").GetString()));
        Assert.True(error.TryGetProperty("param", out _));
        Assert.True(error.TryGetProperty("code", out _));
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal); // never a stack trace
        return error;
    }

    public static JsonContent Json(object value) => JsonContent.Create(value);
}
