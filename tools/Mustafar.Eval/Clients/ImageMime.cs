namespace Mustafar.Eval.Clients;

/// <summary>The media type of an encoded image from its first bytes (benchmark files are named .jpg whatever they
/// hold, and BLINK's bytes have no name at all).</summary>
public static class ImageMime
{
    public static string Of(ReadOnlySpan<byte> image) =>
        image.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G']) ? "image/png"
        : image.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8]) ? "image/jpeg"
        : image.Length >= 12 && image[..4].SequenceEqual("RIFF"u8) && image[8..12].SequenceEqual("WEBP"u8) ? "image/webp"
        : "application/octet-stream";
}
