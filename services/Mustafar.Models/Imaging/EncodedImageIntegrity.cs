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
        "PNG" => PngProblem(data),
        "JPEG" => JpegProblem(data),
        "Webp" => WebpProblem(data),
        _ => null,
    };

    /// <summary>Every chunk (length, type, data, CRC) must fit, up to and including IEND.</summary>
    private static string? PngProblem(ReadOnlySpan<byte> data)
    {
        var position = 8; // signature, already recognised by format detection
        while (position + 8 <= data.Length)
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(data[position..]);
            var type = data.Slice(position + 4, 4);
            if (length > int.MaxValue || position + 12L + length > data.Length)
                return $"is truncated: PNG chunk '{Ascii(type)}' at byte {position} needs {length} bytes of data and only {Math.Max(0, data.Length - position - 12)} remain";
            if (type.SequenceEqual("IEND"u8)) return null;
            position += 12 + (int)length;
        }
        return "is truncated: the PNG ends before its IEND chunk";
    }

    /// <summary>Marker segments are walked to EOI; entropy-coded data after each SOS is skipped to its next marker
    /// (0xFF followed by neither 0x00 stuffing nor a restart marker).</summary>
    private static string? JpegProblem(ReadOnlySpan<byte> data)
    {
        var position = 2; // SOI
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
            if (marker == 0xDA) position = EndOfEntropyCodedData(data, position);
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
                return $"is truncated: WebP chunk '{Ascii(type)}' at byte {position} needs {size} bytes and only {riffEnd - position - 8} remain";
            if (type.SequenceEqual("VP8 "u8) || type.SequenceEqual("VP8L"u8) || type.SequenceEqual("ANMF"u8)) imageChunks++;
            position += 8 + size + (size & 1);
        }
        return imageChunks == 0 ? "is corrupt: the WebP file holds no image data chunk" : null;
    }

    private static string Ascii(ReadOnlySpan<byte> bytes)
    {
        Span<char> chars = stackalloc char[bytes.Length];
        for (var i = 0; i < bytes.Length; i++) chars[i] = bytes[i] is >= 0x20 and < 0x7F ? (char)bytes[i] : '?';
        return new string(chars);
    }
}
