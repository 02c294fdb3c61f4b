using Mustafar.Models.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.PixelFormats;

namespace Mustafar.Models.Tests.Imaging;

/// <summary>Small images made in the test, encoded with ImageSharp's encoders.</summary>
internal static class TestImages
{
    /// <summary>A deterministic gradient with some structure, so resizes and crops have something to get wrong.</summary>
    public static RgbImage Pattern(int width, int height, int seed = 0)
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
        return new RgbImage(width, height, pixels);
    }

    public static byte[] Encode<TPixel>(Image<TPixel> image, IImageEncoder encoder) where TPixel : unmanaged, IPixel<TPixel>
    {
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }

    public static byte[] Encode(RgbImage image, IImageEncoder encoder)
    {
        using var sharp = Image.LoadPixelData<Rgb24>(image.Pixels, image.Width, image.Height);
        return Encode(sharp, encoder);
    }
}
