using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mustafar.Cli;

/// <summary>Asks the gateway's OpenAI-compatible endpoint about an image and prints the answer as it streams,
/// then the per-stage timings and where each feature came from (cache hit, miss, ...).</summary>
public static class AskCommand
{
    public static async Task<int> RunAsync(CommandLine line)
    {
        var gateway = line.Required("url").TrimEnd('/');
        var image = line.Required("image");
        var question = line.Required("question");
        var stream = !line.Flag("no-stream");
        if (!File.Exists(image)) throw new UsageException($"--image '{image}' does not exist");

        var body = new JsonObject
        {
            ["model"] = line.Optional("model") ?? "",
            ["stream"] = stream,
            ["max_tokens"] = line.Int("max-tokens", 24),
            ["messages"] = new JsonArray(new JsonObject
            {
                ["role"] = "user",
                ["content"] = new JsonArray(
                    new JsonObject { ["type"] = "text", ["text"] = question },
                    new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = DataUrl(image) } }),
            }),
        };
        if (line.Optional("seed") is { } seed) body["seed"] = long.Parse(seed, CultureInfo.InvariantCulture);
        if (stream) body["stream_options"] = new JsonObject { ["include_usage"] = true };

        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
        using var request = new HttpRequestMessage(HttpMethod.Post, gateway + "/v1/chat/completions") { Content = JsonContent.Create(body) };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (!response.IsSuccessStatusCode)
        {
            Console.Error.WriteLine($"mustafar: the gateway answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            return 1;
        }

        Console.WriteLine($"Q: {question}");
        Console.Write("A: ");
        var final = stream ? await PrintStreamAsync(response) : await PrintWholeAsync(response);
        Console.WriteLine();
        PrintMetadata(final, response);
        return 0;
    }

    private static string DataUrl(string path)
    {
        var mime = Path.GetExtension(path).ToLowerInvariant() switch { ".jpg" or ".jpeg" => "image/jpeg", ".webp" => "image/webp", _ => "image/png" };
        return $"data:{mime};base64,{Convert.ToBase64String(File.ReadAllBytes(path))}";
    }

    /// <summary>Prints each SSE delta as it arrives; returns the chunk with the metadata, with the usage (which comes in
    /// a chunk of its own) added.</summary>
    private static async Task<JsonNode?> PrintStreamAsync(HttpResponseMessage response)
    {
        JsonNode? last = null;
        JsonNode? usage = null;
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(), Encoding.UTF8);
        while (await reader.ReadLineAsync() is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
            var data = line["data: ".Length..];
            if (data == "[DONE]") break;
            var chunk = JsonNode.Parse(data);
            if (chunk?["error"] is { } error) throw new InvalidOperationException($"the stream ended with an error: {error.ToJsonString()}");
            if (chunk?["usage"] is JsonObject counted) usage = counted.DeepClone();
            if (chunk?["choices"] is JsonArray { Count: 0 }) continue; // the usage chunk
            if (chunk?["choices"]?[0]?["delta"]?["content"]?.GetValue<string>() is { } text) Console.Write(text);
            if (chunk?["mustafar"] is not null) last = chunk;
        }
        if (last is JsonObject final && usage is not null) final["usage"] = usage;
        return last;
    }

    private static async Task<JsonNode?> PrintWholeAsync(HttpResponseMessage response)
    {
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync());
        Console.Write(answer?["choices"]?[0]?["message"]?["content"]?.GetValue<string>());
        return answer;
    }

    private static void PrintMetadata(JsonNode? final, HttpResponseMessage response)
    {
        var meta = final?["mustafar"];
        if (final?["usage"] is { } usage) Console.WriteLine($"usage:   {usage.ToJsonString()}");
        if (meta?["cache"] is { } cache) Console.WriteLine($"cache:   {cache.ToJsonString()}");
        else if (response.Headers.TryGetValues("X-Mustafar-Cache", out var header)) Console.WriteLine($"cache:   {string.Join(", ", header)}");
        if (meta?["diffusion"] is JsonObject diffusion) Console.WriteLine($"diffusion: {diffusion.ToJsonString()}");
        if (meta?["timings"] is { } timings) Console.WriteLine($"timings: {timings.ToJsonString(new JsonSerializerOptions { WriteIndented = false })}");
    }
}
