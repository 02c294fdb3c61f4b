using Mustafar.Testing;

namespace Mustafar.IntegrationTests.Mesh;

/// <summary>Images for requests: the sample the demo ships with, and distinct variants of it (one changed pixel
/// changes the sha256, so the cache sees a new image).</summary>
public static class SampleImages
{
    public static string StillLifePath { get; } = Path.Combine(RepoPaths.Root, "deploy", "sample", "still-life.png");

    public static byte[] StillLife { get; } = File.ReadAllBytes(StillLifePath);

    /// <summary>A valid PNG that differs from every other <paramref name="index"/>: re-encoded with one pixel changed.</summary>
    public static byte[] Variant(int index)
    {
        using var image = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgb24>(StillLife);
        image[index % image.Width, index / image.Width % image.Height] = new SixLabors.ImageSharp.PixelFormats.Rgb24((byte)index, (byte)(index >> 8), 7);
        using var output = new MemoryStream();
        SixLabors.ImageSharp.ImageExtensions.SaveAsPng(image, output);
        return output.ToArray();
    }
}
