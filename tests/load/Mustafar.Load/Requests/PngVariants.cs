using System.Buffers.Binary;
using System.Text;

namespace Mustafar.Load.Requests;

/// <summary>
/// Distinct PNG files of one picture: a tEXt chunk with a tag is inserted before IEND. Decoders ignore the chunk,
/// so the pixels and the encoders' work stay the same, but the file's SHA-256 (the gateway's image id and cache
/// key) differs per tag, so every tag is a new image to the feature cache. This costs a copy, not a re-encode, so
/// an open-loop schedule is not held up by making images.
/// </summary>
public static class PngVariants
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
    private static readonly uint[] CrcTable = MakeCrcTable();

    /// <summary>Throws <see cref="FormatException"/> unless <paramref name="png"/> is a PNG file ending with IEND.</summary>
    public static void CheckPng(byte[] png, string name)
    {
        if (png.Length < Signature.Length + 12 || !png.AsSpan(0, Signature.Length).SequenceEqual(Signature))
            throw new FormatException($"{name} is not a PNG file (the load tool makes its distinct images from a PNG)");
        if (Encoding.ASCII.GetString(png, png.Length - 8, 4) != "IEND")
            throw new FormatException($"{name} does not end with an IEND chunk");
    }

    /// <summary><paramref name="png"/> with a tEXt chunk "mustafar-load" = <paramref name="tag"/> before IEND.</summary>
    public static byte[] Tagged(byte[] png, string tag)
    {
        var data = Encoding.Latin1.GetBytes("mustafar-load\0" + tag);
        var chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(chunk, (uint)data.Length);
        Encoding.ASCII.GetBytes("tEXt", chunk.AsSpan(4));
        data.CopyTo(chunk, 8);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), Crc32(chunk.AsSpan(4, 4 + data.Length)));

        const int iendLength = 12;
        var result = new byte[png.Length + chunk.Length];
        png.AsSpan(0, png.Length - iendLength).CopyTo(result);
        chunk.CopyTo(result, png.Length - iendLength);
        png.AsSpan(png.Length - iendLength).CopyTo(result.AsSpan(result.Length - iendLength));
        return result;
    }

    /// <summary>The CRC-32 (ISO-HDLC, the PNG chunk checksum) of <paramref name="bytes"/>.</summary>
    public static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes) crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc ^ 0xFFFFFFFFu;
    }

    private static uint[] MakeCrcTable()
    {
        var table = new uint[256];
        for (var n = 0u; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }
}
