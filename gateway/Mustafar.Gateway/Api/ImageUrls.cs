using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Mustafar.Tensors;

namespace Mustafar.Gateway.Api;

/// <summary>
/// The bytes behind an OpenAI <c>image_url</c>: a base64 <c>data:</c> URL, or an http(s) URL whose host is on the
/// configured allow-list (refused otherwise, so the gateway cannot be made to fetch arbitrary addresses). Remote
/// images are fetched without following redirects (a redirect could leave the allow-list), within the image size
/// limit and the configured time.
/// </summary>
public sealed class ImageUrls(IHttpClientFactory httpClients, IOptions<GatewayOptions> options)
{
    public const string HttpClientName = "remote-images";

    /// <param name="url">A JSON string. A data: URL is decoded from the body's own UTF-8 bytes (unescaped first only
    /// when the client escaped characters, as .NET's serializer does with '+'), into an array of the image's exact
    /// size: the image is decoded once, and never held as a UTF-16 string twice the size of its base64.</param>
    public Task<byte[]> LoadAsync(JsonElement url, string field, CancellationToken cancellationToken)
    {
        var raw = JsonMarshal.GetRawUtf8Value(url)[1..^1]; // inside the quotes
        if (raw.Length >= 5 && Ascii.EqualsIgnoreCase(raw[..5], "data:"u8))
            return Task.FromResult(DataUrls.Decode(Unescaped(url, raw, field), field, options.Value.Limits.MaxImageBytes));
        return LoadAsync(JsonInput.Text(url, field), field, cancellationToken);
    }

    private static ReadOnlySpan<byte> Unescaped(JsonElement url, ReadOnlySpan<byte> raw, string field)
    {
        if (!raw.Contains((byte)'\\')) return raw;
        var quoted = JsonMarshal.GetRawUtf8Value(url);
        var reader = new Utf8JsonReader(quoted);
        reader.Read();
        var unescaped = GC.AllocateUninitializedArray<byte>(raw.Length);
        try
        {
            return unescaped.AsSpan(0, reader.CopyString(unescaped));
        }
        catch (InvalidOperationException)
        {
            throw JsonInput.UnpairedSurrogate(field);
        }
    }

    private async Task<byte[]> LoadAsync(string url, string field, CancellationToken cancellationToken)
    {
        if (url.StartsWith("data:", StringComparison.OrdinalIgnoreCase)) return DataUrls.Decode(System.Text.Encoding.UTF8.GetBytes(url), field, options.Value.Limits.MaxImageBytes);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new GatewayException(ErrorKind.InvalidInput, "must be a base64 data: URL or an http(s) URL", field, "invalid_image_url");
        var allowed = options.Value.RemoteImages.AllowedHosts;
        if (!allowed.Contains(uri.Host, StringComparer.OrdinalIgnoreCase))
            throw new GatewayException(ErrorKind.InvalidInput,
                $"remote image URLs are not allowed from '{uri.Host}'; send the image as a base64 data: URL", field, "remote_image_not_allowed");
        return await FetchAsync(uri, field, cancellationToken).ConfigureAwait(false);
    }

    private async Task<byte[]> FetchAsync(Uri uri, string field, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.RemoteImages.Timeout);
        try
        {
            var client = httpClients.CreateClient(HttpClientName);
            using var response = await client.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                // Only a redirect is refused for what it is; any other status is the image server's answer.
                var why = (int)response.StatusCode is >= 300 and < 400 ? " (redirects are not followed)" : "";
                throw new GatewayException(ErrorKind.InvalidInput, $"fetching the image failed: HTTP {(int)response.StatusCode}{why}", field, "image_fetch_failed");
            }
            var max = settings.Limits.MaxImageBytes;
            if (response.Content.Headers.ContentLength > max)
                throw new InputTooLargeException(field, $"the remote image has {response.Content.Headers.ContentLength} bytes; the largest accepted is {max}");
            await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
            return await ReadLimitedAsync(stream, max, field, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new GatewayException(ErrorKind.InvalidInput, $"fetching the image took longer than {settings.RemoteImages.Timeout.TotalSeconds:0.#} s", field, "image_fetch_failed");
        }
        catch (HttpRequestException error)
        {
            throw new GatewayException(ErrorKind.InvalidInput, $"fetching the image failed: {error.Message}", field, "image_fetch_failed");
        }
    }

    /// <summary>Reads a stream whose length is not known in advance, refusing it as soon as it passes the limit.</summary>
    public static async Task<byte[]> ReadLimitedAsync(Stream stream, int maxBytes, string field, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBytes)
                throw new InputTooLargeException(field, $"the image is larger than the {maxBytes} bytes accepted");
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
