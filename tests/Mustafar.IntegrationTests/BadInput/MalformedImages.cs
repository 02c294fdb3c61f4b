using System.IO.Compression;
using System.Text;
using Mustafar.IntegrationTests.Mesh;
using Mustafar.Testing;

namespace Mustafar.IntegrationTests.BadInput;

/// <summary>Images that are broken in the ways attackers and buggy clients break them. The PNGs are well formed
/// chunk by chunk (correct CRCs), so what a decoder refuses is exactly the flaw named.</summary>
public static class MalformedImages
{
    /// <summary>The sample PNG cut in half: the IDAT chunk ends early.</summary>
    public static byte[] TruncatedPng => SampleImages.StillLife[..(SampleImages.StillLife.Length / 2)];

    /// <summary>The PNG signature and half an IHDR chunk.</summary>
    public static byte[] TruncatedHeader => SampleImages.StillLife[..20];

    /// <summary>A JPEG start-of-image marker followed by noise.</summary>
    public static byte[] BrokenJpeg => [0xFF, 0xD8, 0xFF, 0x00, 0x13, 0x37, 0x42];

    public static byte[] NotAnImage => Encoding.ASCII.GetBytes("just some text, not pixels");

    /// <summary>A decompression bomb's shape: a header that declares <paramref name="width"/> x <paramref name="height"/>
    /// RGB pixels, and a few hundred bytes of deflated zeros as its only data.</summary>
    public static byte[] Bomb(int width, int height)
    {
        using var idat = new MemoryStream();
        using (var deflate = new ZLibStream(idat, CompressionLevel.SmallestSize, leaveOpen: true)) deflate.Write(new byte[64 * 1024]);
        return PngWriter.Rgb(width, height, idat.ToArray());
    }

    /// <summary>A PNG whose header says 0 x 0 pixels.</summary>
    public static byte[] ZeroByZero => PngWriter.Rgb(0, 0, []);
}
