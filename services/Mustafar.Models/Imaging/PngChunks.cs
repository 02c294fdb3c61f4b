using System.Buffers.Binary;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;

namespace Mustafar.Models.Imaging;

/// <summary>Sees one PNG chunk: its 4-letter type and its data.</summary>
internal delegate void PngChunkVisitor(ReadOnlySpan<byte> type, ReadOnlySpan<byte> data);

/// <summary>Walks a PNG's chunks (length, type, data, CRC) from after the signature to IEND.</summary>
internal static class PngChunks
{
    /// <summary>Visits every chunk up to and including IEND; returns what is wrong when a chunk does not fit the
    /// data or IEND never comes (a truncated file), null when the file is complete.</summary>
    public static string? Walk(ReadOnlySpan<byte> png, PngChunkVisitor? visit = null)
    {
        var position = 8; // the signature, recognised by format detection
        while (position + 8 <= png.Length)
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(png[position..]);
            var type = png.Slice(position + 4, 4);
            if (length > int.MaxValue || position + 12L + length > png.Length)
                return $"is truncated: PNG chunk '{Ascii(type)}' at byte {position} needs {length} bytes of data and only {Math.Max(0, png.Length - position - 12)} remain";
            visit?.Invoke(type, png.Slice(position + 8, (int)length));
            if (type.SequenceEqual("IEND"u8)) return null;
            position += 12 + (int)length;
        }
        return "is truncated: the PNG ends before its IEND chunk";
    }

    /// <summary>The orientation in a PNG's eXIf chunk, 1 when there is none or it does not parse (PIL ignores
    /// it altogether, so a broken one must not fail the image).</summary>
    public static int ExifOrientation(ReadOnlySpan<byte> png)
    {
        byte[]? exif = null;
        Walk(png, (type, data) =>
        {
            if (type.SequenceEqual("eXIf"u8)) exif ??= data.ToArray();
        });
        if (exif is null) return 1;
        try
        {
            return ImageDecoder.Orientation(new ExifProfile(exif));
        }
        catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or InvalidOperationException or NotSupportedException)
        {
            return 1;
        }
    }

    public static string Ascii(ReadOnlySpan<byte> bytes)
    {
        Span<char> chars = stackalloc char[bytes.Length];
        for (var i = 0; i < bytes.Length; i++) chars[i] = bytes[i] is >= 0x20 and < 0x7F ? (char)bytes[i] : '?';
        return new string(chars);
    }
}
