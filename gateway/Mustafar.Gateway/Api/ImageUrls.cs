using System.Net;
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

    public async Task<byte[]> LoadAsync(string url, string field, CancellationToken cancellationToken)
    {
        if (url.StartsWith("data:", StringComparison.OrdinalIgnoreCase)) return DecodeDataUrl(url, field);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new GatewayException(ErrorKind.InvalidInput, "must be a base64 data: URL or an http(s) URL", field, "invalid_image_url");
        var allowed = options.Value.RemoteImages.AllowedHosts;
        if (!allowed.Contains(uri.Host, StringComparer.OrdinalIgnoreCase))
            throw new GatewayException(ErrorKind.InvalidInput,
                $"remote image URLs are not allowed from '{uri.Host}'; send the image as a base64 data: URL", field, "remote_image_not_allowed");
        return await FetchAsync(uri, field, cancellationToken).ConfigureAwait(false);
    }

    private byte[] DecodeDataUrl(string url, string field)
    {
        var comma = url.IndexOf(',', StringComparison.Ordinal);
        if (comma < 0)
            throw new GatewayException(ErrorKind.InvalidInput, "malformed data: URL (no comma before the data)", field, "invalid_image_url");
        var header = url.AsSpan(5, comma - 5);
        if (!header.EndsWith(";base64", StringComparison.OrdinalIgnoreCase))
            throw new GatewayException(ErrorKind.InvalidInput, "data: URLs must be base64 (data:image/png;base64,...)", field, "invalid_image_url");
        var mediaType = header[..^";base64".Length];
        if (!mediaType.IsEmpty && !mediaType.StartsWith("image/", StringComparison.OrdinalIgnoreCase))
            throw new GatewayException(ErrorKind.InvalidInput, $"the media type '{mediaType}' is not an image type", field, "invalid_image_url");

        var data = url.AsSpan(comma + 1);
        var maxBytes = options.Value.Limits.MaxImageBytes;
        if ((long)data.Length / 4 * 3 > maxBytes + 3L)
            throw new InputTooLargeException(field, $"the image is larger than the {maxBytes} bytes accepted");
        var bytes = new byte[data.Length / 4 * 3 + 3];
        if (!Convert.TryFromBase64Chars(data, bytes, out var written))
            throw new GatewayException(ErrorKind.InvalidInput, "the data: URL is not valid base64", field, "invalid_image_url");
        return bytes.AsSpan(0, written).ToArray();
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
