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

    /// <summary>A valid black RGB PNG of any shape: rows of zeros deflate to almost nothing, so a 20000 x 1 strip
    /// is under 200 bytes and a 1000000 x 1 one a few kilobytes (far under every pixel cap).</summary>
    public static byte[] Strip(int width, int height)
    {
        using var idat = new MemoryStream();
        using (var deflate = new ZLibStream(idat, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var row = new byte[1 + width * 3]; // filter type 0, then black pixels
            for (var y = 0; y < height; y++) deflate.Write(row);
        }
        return PngWriter.Rgb(width, height, idat.ToArray());
    }

    /// <summary>A 16-bit greyscale PNG with a gradient from 1000 to 65535 (clipped at 255, as Pillow's conversion
    /// does, every pixel is white).</summary>
    public static byte[] SixteenBitGrey(int width = 64, int height = 48)
    {
        using var image = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.L16>(width, height);
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                image[x, y] = new SixLabors.ImageSharp.PixelFormats.L16((ushort)(1000 + 64535 * (x + y) / (width + height - 2)));
        using var png = new MemoryStream();
        SixLabors.ImageSharp.ImageExtensions.SaveAsPng(image, png, new SixLabors.ImageSharp.Formats.Png.PngEncoder
        {
            BitDepth = SixLabors.ImageSharp.Formats.Png.PngBitDepth.Bit16,
            ColorType = SixLabors.ImageSharp.Formats.Png.PngColorType.Grayscale,
        });
        return png.ToArray();
    }
}
