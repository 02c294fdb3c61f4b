using System.IO.Compression;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Formats.Png;

namespace Mustafar.Testing;

/// <summary>Images made in the test, different for every seed, in real encodings that real decoders read.</summary>
public static class TestImages
{
    /// <summary>An 8-bit RGB PNG of seeded noise (valid CRCs and zlib stream): hardly compressible, so its size
    /// follows its pixel count.</summary>
    public static byte[] Png(int width, int height, int seed)
    {
        var raw = new byte[height * (1 + width * 3)];
        var random = new Random(seed);
        for (var y = 0; y < height; y++)
        {
            var row = y * (1 + width * 3);
            raw[row] = 0; // filter: none
            random.NextBytes(raw.AsSpan(row + 1, width * 3));
        }
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true)) zlib.Write(raw);
        return PngWriter.Rgb(width, height, compressed.ToArray());
    }

    /// <summary>A distinct image per call, for tests that need a cache miss.</summary>
    public static byte[] Unique() => Png(8, 6, Random.Shared.Next());

    public static string DataUrl(byte[] png) => "data:image/png;base64," + Convert.ToBase64String(png);

    /// <summary>Seeded noise over a gradient, so every image and every crop differs, as a PNG.</summary>
    public static byte[] GradientPng(int width, int height, int seed) => EncodeGradient(width, height, seed, new PngEncoder());

    /// <summary>The same gradient as a JPEG.</summary>
    public static byte[] GradientJpeg(int width, int height, int seed) => EncodeGradient(width, height, seed, new JpegEncoder { Quality = 90 });

    /// <summary>A PNG whose bytes stop halfway: a truncated upload.</summary>
    public static byte[] TruncatedPng(int width, int height, int seed)
    {
        var bytes = GradientPng(width, height, seed);
        return bytes[..(bytes.Length / 2)];
    }

    /// <summary>Row-major RGB bytes of a deterministic gradient with some structure, so that resizes and crops have
    /// something to get wrong.</summary>
    public static byte[] PatternPixels(int width, int height, int seed = 0)
    {
        var pixels = new byte[width * height * 3];
        var random = new Random(seed);
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
            {
                var i = (y * width + x) * 3;
                pixels[i] = (byte)(x * 255 / Math.Max(1, width - 1));
                pixels[i + 1] = (byte)(y * 255 / Math.Max(1, height - 1));
                pixels[i + 2] = (byte)((x / 3 + y / 3) % 2 == 0 ? random.Next(0, 60) : random.Next(190, 256));
            }
        return pixels;
    }

    /// <summary>Row-major RGB bytes encoded with <paramref name="encoder"/>.</summary>
    public static byte[] Encode(byte[] rgb, int width, int height, IImageEncoder encoder)
    {
        using var image = Image.LoadPixelData<Rgb24>(rgb, width, height);
        return Encode(image, encoder);
    }

    public static byte[] Encode<TPixel>(Image<TPixel> image, IImageEncoder encoder) where TPixel : unmanaged, IPixel<TPixel>
    {
        ArgumentNullException.ThrowIfNull(image);
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }

    private static byte[] EncodeGradient(int width, int height, int seed, IImageEncoder encoder)
    {
        var random = new Random(seed);
        using var image = new Image<Rgb24>(width, height);
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                image[x, y] = new Rgb24((byte)(x * 255 / width), (byte)random.Next(256), (byte)(y * 255 / height));
        return Encode(image, encoder);
    }
}
