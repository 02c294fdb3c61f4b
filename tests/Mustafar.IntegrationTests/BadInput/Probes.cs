using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Grpc.Core;
using Mustafar.Tensors;

namespace Mustafar.IntegrationTests.BadInput;

/// <summary>Sends one request and reduces what came back to an <see cref="Outcome"/>, failing at once on what is
/// never acceptable: an error without the documented JSON shape, a message that leaks internals (exception or .NET
/// type names, stack frames), a success without an answer, or a gRPC field prefix that disagrees with its trailer.</summary>
public static class Probes
{
    public const string ChatPath = "/v1/chat/completions";

    public static StringContent Json(JsonNode body) => Json(body.ToJsonString());

    public static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    /// <param name="http2">Send over HTTP/2 (h2c), as to the gateway's gRPC port.</param>
    /// <param name="method">POST unless given (then <paramref name="content"/> may be null).</param>
    public static async Task<Outcome> HttpAsync(HttpClient http, HttpContent? content, string path = ChatPath, bool expectContinue = false, bool http2 = false,
        HttpMethod? method = null)
    {
        using var request = new HttpRequestMessage(method ?? HttpMethod.Post, path) { Content = content };
        if (http2) (request.Version, request.VersionPolicy) = (System.Net.HttpVersion.Version20, HttpVersionPolicy.RequestVersionExact);
        // A client uploading a huge body asks first, so that a refusal arrives before the upload.
        if (expectContinue) request.Headers.ExpectContinue = true;
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var json = JsonNode.Parse(text) ?? throw new InvalidOperationException($"HTTP {(int)response.StatusCode} with an empty body");
        if (response.IsSuccessStatusCode)
        {
            var answer = json["choices"]?[0]?["message"]?["content"] ?? json["answer"];
            if (answer?.GetValue<string>() is null) throw new InvalidOperationException($"HTTP {(int)response.StatusCode} without an answer: {text}");
            return Outcome.HttpOk;
        }
        var error = json["error"] ?? throw new InvalidOperationException($"HTTP {(int)response.StatusCode} without an error object: {text}");
        NoInternals(error["message"]!.GetValue<string>());
        return Outcome.Http((int)response.StatusCode, error["param"]?.GetValue<string>(), error["type"]!.GetValue<string>(), error["code"]!.GetValue<string>());
    }

    /// <summary>A gRPC call (unary, or a stream read to its end).</summary>
    public static async Task<Outcome> GrpcAsync(Func<Task> call)
    {
        try
        {
            await call();
            return Outcome.GrpcOk;
        }
        catch (RpcException error)
        {
            NoInternals(error.Status.Detail);
            var field = error.Trailers.GetValue(ErrorTrailers.Field);
            if (field is not null && !error.Status.Detail.StartsWith(field + ": ", StringComparison.Ordinal))
                throw new InvalidOperationException($"the {ErrorTrailers.Field} trailer says '{field}' but the message is '{error.Status.Detail}'");
            return Outcome.Grpc(error.StatusCode, field);
        }
    }

    public static async Task ReadToEndAsync<T>(IAsyncStreamReader<T> stream)
    {
        var messages = 0;
        while (await stream.MoveNext(CancellationToken.None)) messages++;
        if (messages == 0) throw new InvalidOperationException("the stream ended OK without any message");
    }

    private static void NoInternals(string message)
    {
        string[] leaks = ["Exception", "   at ", "System.", "Microsoft.", "Mustafar."];
        foreach (var leak in leaks)
            if (message.Contains(leak, StringComparison.Ordinal))
                throw new InvalidOperationException($"the error message leaks internals ('{leak}'): {message}");
    }

    /// <summary>Form fields and an image file for POST /v1/vqa.</summary>
    public static MultipartFormDataContent Form(byte[] image, params (string Name, string Value)[] fields)
    {
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(image);
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(file, "image", "image.png");
        foreach (var (name, value) in fields) form.Add(new StringContent(value), name);
        return form;
    }
}
