namespace Mustafar.Models.Imaging;

/// <summary>Limits and behaviour of <see cref="ImageDecoder"/>.</summary>
public sealed record ImageDecodeOptions
{
    /// <summary>PIL's <c>Image.MAX_IMAGE_PIXELS</c>: above it PIL warns of a decompression bomb.</summary>
    public const long PilMaxImagePixels = 89_478_485;

    /// <summary>The largest width * height accepted, checked from the header before any pixel is decoded.</summary>
    public long MaxPixels { get; init; } = PilMaxImagePixels;

    /// <summary>The default of <see cref="MaxAspectRatio"/>: a 1000:1 strip is no picture a model can see (padded,
    /// it is a third of a pixel high), and beyond it the resampling coefficients, which grow with the long side
    /// (4 per pixel of it for bicubic), would outweigh the output.</summary>
    public const int DefaultMaxAspectRatio = 1000;

    /// <summary>The largest long side / short side accepted, checked from the header with the pixel cap. With it the
    /// long side is at most sqrt(MaxPixels * MaxAspectRatio), which bounds every resize's work and memory.</summary>
    public int MaxAspectRatio { get; init; } = DefaultMaxAspectRatio;

    /// <summary>Rotate/flip by the EXIF orientation tag, so the image is upright as viewers show it. PIL's
    /// <c>Image.open</c> does not do this (LLaVA sees the stored orientation); it is on by default because phone
    /// photos are stored sideways with a tag, and a model shown a sideways image answers about a sideways image.</summary>
    public bool ApplyExifOrientation { get; init; } = true;

    public static ImageDecodeOptions Default { get; } = new();
}
