namespace Mustafar.Models.Imaging;

/// <summary>A decoded image and where it came from.</summary>
/// <param name="Image">The pixels, upright when EXIF orientation was applied.</param>
/// <param name="Format">"PNG", "JPEG" or "WebP".</param>
/// <param name="ExifOrientation">The EXIF orientation tag (1-8), 1 when absent.</param>
public sealed record DecodedImage(RgbImage Image, string Format, int ExifOrientation);
