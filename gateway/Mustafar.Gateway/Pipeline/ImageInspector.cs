using System.Buffers.Binary;
using System.Security.Cryptography;
using Mustafar.Tensors;

namespace Mustafar.Gateway.Pipeline;

/// <summary>An accepted image: its format and size from the header, and its content id.</summary>
/// <param name="Sha256">Lowercase hex SHA-256 of the encoded bytes: the image id in cache keys and responses.</param>
public sealed record InspectedImage(string Format, int Width, int Height, string Sha256);

/// <summary>
/// Checks that bytes are a PNG, JPEG or WebP image of an acceptable size by reading only its header, and hashes
/// it. The gateway never decodes pixels (the encoders do, each as its model expects); reading the header is
/// enough to refuse what is not an image, or too large, before any service spends time on it.
/// </summary>
public static class ImageInspector
{
    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    public static InspectedImage Inspect(ReadOnlySpan<byte> bytes, string field, int maxBytes, long maxPixels,
        int maxAspectRatio = LimitOptions.DefaultMaxImageAspectRatio)
    {
        if (bytes.IsEmpty) throw new InvalidInputException(field, "the image is empty");
        if (bytes.Length > maxBytes)
            throw new InputTooLargeException(field, $"the image has {bytes.Length} bytes; the largest accepted is {maxBytes}");

        var (format, width, height) = ReadHeader(bytes)
            ?? throw new InvalidInputException(field, "not a PNG, JPEG or WebP image (unrecognised or truncated header)");
        if (width <= 0 || height <= 0)
            throw new InvalidInputException(field, $"the {format} header gives an empty size {width}x{height}");
        if ((long)width * height > maxPixels)
            throw new InputTooLargeException(field, $"the image is {width}x{height} = {(long)width * height} pixels; the largest accepted is {maxPixels}");
        // Checked here too, so that both encoders are not called only to refuse it.
        if (Math.Max(width, height) > (long)Math.Min(width, height) * maxAspectRatio)
            throw new InvalidInputException(field, $"the image is {width}x{height}; an image whose long side is more than {maxAspectRatio} times its short side is not accepted");

        return new InspectedImage(format, width, height, Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    private static (string Format, int Width, int Height)? ReadHeader(ReadOnlySpan<byte> b)
    {
        if (b.Length >= 24 && b[..8].SequenceEqual(PngSignature) && b.Slice(12, 4).SequenceEqual("IHDR"u8))
            return ("png", ToInt(BinaryPrimitives.ReadUInt32BigEndian(b[16..])), ToInt(BinaryPrimitives.ReadUInt32BigEndian(b[20..])));
        if (b.Length >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF)
            return ReadJpeg(b);
        if (b.Length >= 30 && b[..4].SequenceEqual("RIFF"u8) && b.Slice(8, 4).SequenceEqual("WEBP"u8))
            return ReadWebP(b);
        return null;
    }

    private static int ToInt(uint value) => value > int.MaxValue ? int.MaxValue : (int)value;

    /// <summary>Walks the marker segments to the first start-of-frame, which holds the size.</summary>
    private static (string, int, int)? ReadJpeg(ReadOnlySpan<byte> b)
    {
        var i = 2;
        while (i + 4 <= b.Length)
        {
            if (b[i] != 0xFF) return null;
            var marker = b[i + 1];
            if (marker == 0xFF) { i++; continue; } // fill byte
            if (marker is 0x01 or (>= 0xD0 and <= 0xD7)) { i += 2; continue; } // markers without a length
            var length = BinaryPrimitives.ReadUInt16BigEndian(b[(i + 2)..]);
            if (length < 2) return null;
            var isStartOfFrame = marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC;
            if (isStartOfFrame)
            {
                if (i + 9 > b.Length) return null;
                int height = BinaryPrimitives.ReadUInt16BigEndian(b[(i + 5)..]);
                int width = BinaryPrimitives.ReadUInt16BigEndian(b[(i + 7)..]);
                return ("jpeg", width, height);
            }
            if (marker == 0xDA) return null; // scan data before any frame header: malformed
            i += 2 + length;
        }
        return null;
    }

    /// <summary>The three WebP flavours keep the size in different places: VP8X (extended), VP8L (lossless), VP8 (lossy).</summary>
    private static (string, int, int)? ReadWebP(ReadOnlySpan<byte> b)
    {
        var chunk = b.Slice(12, 4);
        var data = b[20..];
        if (chunk.SequenceEqual("VP8X"u8))
            return ("webp", 1 + ReadUInt24(data[4..]), 1 + ReadUInt24(data[7..]));
        if (chunk.SequenceEqual("VP8L"u8))
        {
            if (data[0] != 0x2F) return null;
            var bits = BinaryPrimitives.ReadUInt32LittleEndian(data[1..]);
            return ("webp", 1 + (int)(bits & 0x3FFF), 1 + (int)((bits >> 14) & 0x3FFF));
        }
        if (chunk.SequenceEqual("VP8 "u8))
        {
            if (data[3] != 0x9D || data[4] != 0x01 || data[5] != 0x2A) return null;
            return ("webp", BinaryPrimitives.ReadUInt16LittleEndian(data[6..]) & 0x3FFF, BinaryPrimitives.ReadUInt16LittleEndian(data[8..]) & 0x3FFF);
        }
        return null;
    }

    private static int ReadUInt24(ReadOnlySpan<byte> b) => b[0] | (b[1] << 8) | (b[2] << 16);
}
