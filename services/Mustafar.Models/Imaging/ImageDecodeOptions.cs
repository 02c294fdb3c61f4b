namespace Mustafar.Models.Imaging;

/// <summary>Limits and behaviour of <see cref="ImageDecoder"/>.</summary>
public sealed record ImageDecodeOptions
{
    /// <summary>PIL's <c>Image.MAX_IMAGE_PIXELS</c>: above it PIL warns of a decompression bomb.</summary>
    public const long PilMaxImagePixels = 89_478_485;

    /// <summary>The largest width * height accepted, checked from the header before any pixel is decoded.</summary>
    public long MaxPixels { get; init; } = PilMaxImagePixels;

    /// <summary>Rotate/flip by the EXIF orientation tag, so the image is upright as viewers show it. PIL's
    /// <c>Image.open</c> does not do this (LLaVA sees the stored orientation); it is on by default because phone
    /// photos are stored sideways with a tag, and a model shown a sideways image answers about a sideways image.</summary>
    public bool ApplyExifOrientation { get; init; } = true;

    public static ImageDecodeOptions Default { get; } = new();
}
