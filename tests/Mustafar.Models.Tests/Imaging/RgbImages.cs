using Mustafar.Models.Imaging;
using Mustafar.Testing;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.PixelFormats;

namespace Mustafar.Models.Tests.Imaging;

/// <summary><see cref="TestImages"/> in the model code's own image type.</summary>
internal static class RgbImages
{
    /// <summary><see cref="TestImages.PatternPixels"/> as an <see cref="RgbImage"/>.</summary>
    public static RgbImage Pattern(int width, int height, int seed = 0) => new(width, height, TestImages.PatternPixels(width, height, seed));

    public static byte[] Encode(RgbImage image, IImageEncoder encoder) => TestImages.Encode(image.Pixels, image.Width, image.Height, encoder);

    public static byte[] Encode<TPixel>(Image<TPixel> image, IImageEncoder encoder) where TPixel : unmanaged, IPixel<TPixel> =>
        TestImages.Encode(image, encoder);
}
