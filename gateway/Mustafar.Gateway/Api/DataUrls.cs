using System.Buffers;
using System.Buffers.Text;
using System.Text;
using Mustafar.Tensors;

namespace Mustafar.Gateway.Api;

/// <summary>
/// A base64 <c>data:</c> URL's bytes, decoded from UTF-8 into one array of the image's exact size (its length is
/// known from the base64's), checked against the size limit before that array exists.
/// </summary>
public static class DataUrls
{
    public static byte[] Decode(ReadOnlySpan<byte> url, string field, int maxBytes)
    {
        var comma = url.IndexOf((byte)',');
        if (comma < 0)
            throw new GatewayException(ErrorKind.InvalidInput, "malformed data: URL (no comma before the data)", field, "invalid_image_url");
        var header = url[5..comma];
        if (header.Length < 7 || !Ascii.EqualsIgnoreCase(header[^7..], ";base64"u8))
            throw new GatewayException(ErrorKind.InvalidInput, "data: URLs must be base64 (data:image/png;base64,...)", field, "invalid_image_url");
        var mediaType = header[..^";base64".Length];
        if (!mediaType.IsEmpty && !(mediaType.Length >= 6 && Ascii.EqualsIgnoreCase(mediaType[..6], "image/"u8)))
            throw new GatewayException(ErrorKind.InvalidInput, $"the media type '{Encoding.UTF8.GetString(mediaType)}' is not an image type", field, "invalid_image_url");

        var data = url[(comma + 1)..];
        if ((long)data.Length / 4 * 3 > maxBytes + 3L)
            throw new InputTooLargeException(field, $"the image is larger than the {maxBytes} bytes accepted");
        var padding = data.Length % 4 != 0 ? 0 : data.EndsWith("=="u8) ? 2 : data.EndsWith("="u8) ? 1 : 0;
        var bytes = GC.AllocateUninitializedArray<byte>(Math.Max(0, data.Length / 4 * 3 - padding));
        if (Base64.DecodeFromUtf8(data, bytes, out _, out var written) == OperationStatus.Done && written == bytes.Length) return bytes;
        return DecodeLenient(data, field); // base64 with whitespace in it, which Convert accepts
    }

    private static byte[] DecodeLenient(ReadOnlySpan<byte> data, string field)
    {
        var bytes = new byte[data.Length / 4 * 3 + 3];
        if (!Convert.TryFromBase64String(Encoding.ASCII.GetString(data), bytes, out var written))
            throw new GatewayException(ErrorKind.InvalidInput, "the data: URL is not valid base64", field, "invalid_image_url");
        return bytes.AsSpan(0, written).ToArray();
    }
}
