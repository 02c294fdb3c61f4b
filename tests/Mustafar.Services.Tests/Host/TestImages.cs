using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace Mustafar.Services.Tests.Host;

/// <summary>Encoded images made in the test: seeded noise over a gradient, so every image and every crop differs.</summary>
public static class TestImages
{
    public static byte[] Png(int width, int height, int seed) => Encode(width, height, seed, new PngEncoder());

    public static byte[] Jpeg(int width, int height, int seed) => Encode(width, height, seed, new JpegEncoder { Quality = 90 });

    /// <summary>A PNG whose bytes stop halfway: a truncated upload.</summary>
    public static byte[] TruncatedPng(int width, int height, int seed)
    {
        var bytes = Png(width, height, seed);
        return bytes[..(bytes.Length / 2)];
    }

    private static byte[] Encode(int width, int height, int seed, SixLabors.ImageSharp.Formats.IImageEncoder encoder)
    {
        var random = new Random(seed);
        using var image = new Image<Rgb24>(width, height);
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                image[x, y] = new Rgb24((byte)(x * 255 / width), (byte)random.Next(256), (byte)(y * 255 / height));
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }
}
