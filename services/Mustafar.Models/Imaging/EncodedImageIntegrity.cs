using System.Buffers.Binary;

namespace Mustafar.Models.Imaging;

/// <summary>
/// Structural completeness checks on encoded images, run before decoding. ImageSharp fills a truncated JPEG or
/// WebP with grey or black and carries on, where PIL (and so LLaVA) raises "image file is truncated"; a cut
/// upload must fail loudly instead of being encoded as a half-grey picture. These walk the container only
/// (chunks, markers, RIFF sizes); the decoder still validates the content.
/// </summary>
internal static class EncodedImageIntegrity
{
    /// <summary>Null when the container is complete, otherwise what is wrong.</summary>
    public static string? Problem(string format, ReadOnlySpan<byte> data) => format switch
    {
        "PNG" => PngChunks.Walk(data),
        "JPEG" => JpegProblem(data),
        "Webp" => WebpProblem(data),
        _ => null,
    };

    /// <summary>Progressive JPEGs from real encoders have about ten scans. Every scan costs a pass over the image's
    /// coefficients, so a small file with thousands of tiny scans is a CPU bomb (libjpeg-turbo added a scan limit for
    /// the same reason).</summary>
    public const int MaxJpegScans = 256;

    /// <summary>Marker segments are walked to EOI; entropy-coded data after each SOS is skipped to its next marker
    /// (0xFF followed by neither 0x00 stuffing nor a restart marker).</summary>
    private static string? JpegProblem(ReadOnlySpan<byte> data)
    {
        var position = 2; // SOI
        var scans = 0;
        while (true)
        {
            // libjpeg skips stray bytes before a marker, so this does too.
            while (position < data.Length && data[position] != 0xFF) position++;
            while (position < data.Length && data[position] == 0xFF) position++;
            if (position >= data.Length) return "is truncated: the JPEG ends before its end-of-image marker";
            var marker = data[position++];
            if (marker == 0xD9) return null;
            if (marker is >= 0xD0 and <= 0xD7 or 0x01) continue;
            if (position + 2 > data.Length) return "is truncated: the JPEG ends inside a marker segment";
            var length = BinaryPrimitives.ReadUInt16BigEndian(data[position..]);
            if (length < 2) return $"is corrupt: JPEG marker 0xFF{marker:X2} at byte {position - 2} has length {length}";
            if (position + length > data.Length)
                return $"is truncated: JPEG marker segment 0xFF{marker:X2} at byte {position - 2} needs {length} bytes and only {data.Length - position} remain";
            position += length;
            if (marker != 0xDA) continue;
            if (++scans > MaxJpegScans) return $"is rejected: the JPEG has more than {MaxJpegScans} scans";
            position = EndOfEntropyCodedData(data, position);
        }
    }

    private static int EndOfEntropyCodedData(ReadOnlySpan<byte> data, int position)
    {
        for (; position + 1 < data.Length; position++)
        {
            if (data[position] != 0xFF) continue;
            var next = data[position + 1];
            if (next != 0x00 && next != 0xFF && next is not (>= 0xD0 and <= 0xD7)) return position;
        }
        return data.Length;
    }

    /// <summary>The RIFF size must fit the data, and every chunk inside it must fit the RIFF (as libwebp demands
    /// of a complete file).</summary>
    private static string? WebpProblem(ReadOnlySpan<byte> data)
    {
        if (data.Length < 12) return "is truncated: the WebP RIFF header is incomplete";
        var riffEnd = 8L + BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
        if (riffEnd > data.Length)
            return $"is truncated: the WebP RIFF header declares {riffEnd} bytes and only {data.Length} are present";
        var position = 12L;
        var imageChunks = 0;
        while (position + 8 <= riffEnd)
        {
            var type = data.Slice((int)position, 4);
            var size = BinaryPrimitives.ReadUInt32LittleEndian(data[(int)(position + 4)..]);
            if (position + 8 + size > riffEnd)
                return $"is truncated: WebP chunk '{PngChunks.Ascii(type)}' at byte {position} needs {size} bytes and only {riffEnd - position - 8} remain";
            if (type.SequenceEqual("VP8 "u8) || type.SequenceEqual("VP8L"u8) || type.SequenceEqual("ANMF"u8)) imageChunks++;
            position += 8 + size + (size & 1);
        }
        return imageChunks == 0 ? "is corrupt: the WebP file holds no image data chunk" : null;
    }
}
