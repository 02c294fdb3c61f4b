using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;

namespace Mustafar.Data.Imaging;

/// <summary>Encodes 8-bit RGB pixels as a PNG: IHDR, one IDAT, IEND; no filter, no metadata (no time stamp), so the
/// file depends on the pixels only. The deflate stream comes from .NET's bundled zlib-ng at a fixed level: the same
/// runtime gives the same bytes on every platform; another zlib could choose other (equally valid) bytes for the
/// same pixels.</summary>
public static class PngEncoder
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    public static byte[] EncodeRgb(int width, int height, ReadOnlySpan<byte> rgb)
    {
        if (rgb.Length != width * height * 3) throw new ArgumentException($"{rgb.Length} bytes are not {width}x{height} RGB pixels", nameof(rgb));
        return Assemble(width, height, Deflate(width, height, rgb));
    }

    /// <summary>An 8-bit RGB PNG around an IDAT payload the caller made (the zlib stream of the filtered rows; tests
    /// also pass bytes that disagree with the header on purpose).</summary>
    public static byte[] Assemble(int width, int height, ReadOnlySpan<byte> idat)
    {
        using var png = new MemoryStream();
        png.Write(Signature);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth
        header[9] = 2; // colour type RGB; compression, filter and interlace methods stay 0
        WriteChunk(png, "IHDR"u8, header);
        WriteChunk(png, "IDAT"u8, idat);
        WriteChunk(png, "IEND"u8, []);
        return png.ToArray();
    }

    /// <summary>The zlib stream of the scanlines, each led by filter type 0 (none): flat colours compress well without one.</summary>
    private static byte[] Deflate(int width, int height, ReadOnlySpan<byte> rgb)
    {
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var stride = width * 3;
            for (var y = 0; y < height; y++)
            {
                zlib.WriteByte(0);
                zlib.Write(rgb.Slice(y * stride, stride));
            }
        }
        return compressed.ToArray();
    }

    private static void WriteChunk(Stream png, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        png.Write(word);
        png.Write(type);
        png.Write(data);
        var crc = new Crc32();
        crc.Append(type);
        crc.Append(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, crc.GetCurrentHashAsUInt32());
        png.Write(word);
    }
}
