using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Mustafar.Benchmarks.Mesh;

/// <summary>One streamed answer from the gateway's <c>/v1/chat/completions</c>, timed by the client: the time to
/// its first token, and the gateway's own report (the <c>mustafar</c> object of the chunk with the finish reason:
/// cache outcomes and per-stage milliseconds).</summary>
public sealed record StreamedAnswer(double TimeToFirstTokenMs, double TotalMs, JsonObject Report)
{
    public double Stage(string name) => Report["timings"]![name]!.GetValue<double>();

    public string Cache => string.Join(" ", Report["cache"]!.AsObject().Select(kv => $"{kv.Key}={kv.Value}"));

    /// <summary>Asks about an image and reads the stream to its end. "logprobs" makes every sampled token a chunk:
    /// a random-weight model mostly samples ids its small tokenizer has no text for, and those would otherwise send
    /// nothing, so the first chunk would not be the first token.</summary>
    public static async Task<StreamedAnswer> AskAsync(HttpClient http, byte[] image, string question, int maxTokens)
    {
        var body = new JsonObject
        {
            ["messages"] = new JsonArray(new JsonObject
            {
                ["role"] = "user",
                ["content"] = new JsonArray(
                    new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = TestImages.DataUrl(image) } },
                    new JsonObject { ["type"] = "text", ["text"] = question }),
            }),
            ["stream"] = true,
            ["max_tokens"] = maxTokens,
            ["temperature"] = 0,
            ["logprobs"] = true,
        };
        var watch = Stopwatch.StartNew();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = JsonContent.Create(body) };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        double? firstToken = null;
        JsonObject? report = null;
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        while (await reader.ReadLineAsync() is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
            var data = line["data: ".Length..];
            if (data == "[DONE]") break;
            var chunk = JsonNode.Parse(data)!;
            if (chunk["error"] is not null) throw new HttpRequestException($"stream error: {data}");
            var choice = chunk["choices"]?[0];
            if (choice?["logprobs"] is not null || choice?["delta"]?["content"] is not null) firstToken ??= watch.Elapsed.TotalMilliseconds;
            if (chunk["mustafar"] is JsonObject metadata) report = metadata;
        }
        var total = watch.Elapsed.TotalMilliseconds;
        return new StreamedAnswer(firstToken ?? throw new HttpRequestException("the answer had no token"), total,
            report ?? throw new HttpRequestException("the answer carried no mustafar report"));
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"ttft {TimeToFirstTokenMs:F0} ms (gateway: clip {Stage("clip_ms"):F0}, diffusion {Stage("diffusion_ms"):F0}, ttft {Stage("time_to_first_token_ms"):F0}, total {Stage("total_ms"):F0}; {Cache})");
}
