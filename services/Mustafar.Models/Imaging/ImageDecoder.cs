using System.Runtime.InteropServices;
using Mustafar.Tensors;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Mustafar.Models.Imaging;

/// <summary>
/// Decodes PNG, JPEG and WebP bytes to 8-bit RGB as LLaVA's <c>Image.open(f).convert('RGB')</c> does, with
/// ImageSharp, rejecting bad input with <see cref="InvalidInputException"/> (never a crash or a hang):
/// <list type="bullet">
/// <item>empty, unrecognised, unsupported (GIF, BMP, TIFF, ...), truncated or corrupt bytes;</item>
/// <item>more than <see cref="ImageDecodeOptions.MaxPixels"/> pixels (<see cref="InputTooLargeException"/>),
/// read from the header before the pixels are decoded, so a decompression bomb costs no memory;</item>
/// <item>a degenerate shape, a long side more than <see cref="ImageDecodeOptions.MaxAspectRatio"/> times the short one, also
/// from the header.</item>
/// </list>
/// PNG text, ICC and other metadata chunks are not decoded at all (ImageSharp would inflate compressed text
/// without a limit); a PNG's eXIf orientation is read directly from its chunk.
/// Conversion to RGB matches PIL's <c>convert('RGB')</c>: alpha is dropped, not composited (a transparent pixel
/// keeps its stored colour, as in PIL, so transparent areas look however the encoder left them); palette images
/// take their palette colours; greyscale is replicated to three channels; 16-bit RGB(A) and grey+alpha keep the
/// high byte (PIL's "RGB;16B" unpacking), and so does 16-bit greyscale, scaling 0..65535 to 0..255. Pillow
/// converts 16-bit grey ("I" or "I;16") to 8 bits by clipping at 255, which turns every ordinary 16-bit picture
/// into a white one; that is a loss no caller wants copied, so this departs from it.
/// Known differences from PIL: JPEGs are decoded by ImageSharp rather than libjpeg, whose IDCT and chroma
/// upsampling can differ by a unit or two per pixel; CMYK JPEGs are converted by ImageSharp's colour conversion;
/// EXIF orientation is applied (see <see cref="ImageDecodeOptions.ApplyExifOrientation"/>); animated files give
/// their first frame, as PIL does.
/// </summary>
public static class ImageDecoder
{
    /// <summary>The formats accepted.</summary>
    public static IReadOnlyList<string> SupportedFormats { get; } = ["PNG", "JPEG", "WebP"];

    private static readonly Configuration Supported = CreateConfiguration();

    /// <summary>PNG, JPEG and WebP only. The PNG decoder skips metadata: ImageSharp inflates zTXt/iTXt text
    /// without a limit (a 200 KB file of compressed zeros costs seconds and gigabytes), so PNG text and profiles are
    /// never decoded; the one piece of PNG metadata that matters, the eXIf orientation, is read by hand.</summary>
    private static Configuration CreateConfiguration()
    {
        var configuration = new Configuration(new PngConfigurationModule(), new JpegConfigurationModule(), new WebpConfigurationModule());
        configuration.ImageFormatsManager.SetDecoder(PngFormat.Instance, new PngDecoder { IgnoreMetadata = true });
        return configuration;
    }

    /// <summary>Decodes <paramref name="encoded"/>; <paramref name="field"/> names the request field in errors.</summary>
    public static DecodedImage Decode(ReadOnlyMemory<byte> encoded, ImageDecodeOptions? options = null, string field = "image")
    {
        options ??= ImageDecodeOptions.Default;
        var bytes = encoded.Span;
        if (bytes.IsEmpty) throw new InvalidInputException(field, $"is empty; expected {Formats} bytes");

        var format = Image.DetectFormat(Supported, bytes)
            ?? throw new InvalidInputException(field, Image.DetectFormat(Configuration.Default, bytes) is { } other
                ? $"is a {other.Name} image; only {Formats} are supported"
                : $"is not a {Formats} image (unrecognised bytes)");
        var formatName = format.Name == "Webp" ? "WebP" : format.Name;
        if (EncodedImageIntegrity.Problem(format.Name, bytes) is { } problem)
            throw new InvalidInputException(field, $"{problem} ({bytes.Length} bytes)");

        var info = Guard(field, formatName, () =>
        {
            using var stream = OpenStream(encoded);
            return Image.Identify(Supported, stream);
        }) ?? throw new InvalidInputException(field, $"is not a readable {formatName} image");
        var pixels = (long)info.Width * info.Height;
        if (info.Width <= 0 || info.Height <= 0)
            throw new InvalidInputException(field, $"declares an empty {info.Width}x{info.Height} image");
        if (pixels > options.MaxPixels)
            throw new InputTooLargeException(field, $"is {info.Width}x{info.Height} = {pixels} pixels, more than the limit of {options.MaxPixels}");
        if (AspectProblem(info.Width, info.Height, options.MaxAspectRatio) is { } aspect) throw new InvalidInputException(field, aspect);

        var orientation = format.Name == "PNG" ? PngChunks.ExifOrientation(bytes) : Orientation(info.Metadata.ExifProfile);
        var image = Guard(field, formatName, () => DecodeRgb(encoded, info, options.ApplyExifOrientation ? orientation : 1));
        return new DecodedImage(image, formatName, orientation);
    }

    /// <summary>Null when long side / short side is within <paramref name="maxRatio"/>, otherwise why not.</summary>
    private static string? AspectProblem(int width, int height, int maxRatio)
    {
        var (shortSide, longSide) = width <= height ? (width, height) : (height, width);
        return longSide > (long)shortSide * maxRatio
            ? $"is {width}x{height}: its long side is more than {maxRatio} times its short side, a degenerate aspect ratio"
            : null;
    }

    private static string Formats => string.Join(", ", SupportedFormats.Take(SupportedFormats.Count - 1)) + " or " + SupportedFormats[^1];

    /// <param name="orientation">The EXIF orientation to undo, 1 for none.</param>
    private static RgbImage DecodeRgb(ReadOnlyMemory<byte> encoded, IImageInfo info, int orientation)
    {
        var png = info.Metadata.GetPngMetadata();
        var sixteenBitPng = png.BitDepth == PngBitDepth.Bit16;
        if (sixteenBitPng && png.ColorType == PngColorType.Grayscale)
            return Convert<L16>(encoded, orientation, static (p, rgb) => rgb[0] = rgb[1] = rgb[2] = (byte)(p.PackedValue >> 8));
        if (sixteenBitPng)
            return Convert<Rgba64>(encoded, orientation, static (p, rgb) =>
            {
                rgb[0] = (byte)(p.R >> 8);
                rgb[1] = (byte)(p.G >> 8);
                rgb[2] = (byte)(p.B >> 8);
            });

        using var image = Image.Load<Rgb24>(Supported, encoded.Span);
        Orient(image, orientation);
        var result = new RgbImage(image.Width, image.Height, new byte[image.Width * image.Height * RgbImage.Channels]);
        image.CopyPixelDataTo(result.Pixels);
        return result;
    }

    /// <summary>Decodes in a wider pixel type and converts each pixel as PIL does for that mode.</summary>
    private static RgbImage Convert<TPixel>(ReadOnlyMemory<byte> encoded, int orientation, Action<TPixel, Span<byte>> toRgb)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        using var image = Image.Load<TPixel>(Supported, encoded.Span);
        Orient(image, orientation);
        var result = new RgbImage(image.Width, image.Height, new byte[image.Width * image.Height * RgbImage.Channels]);
        var source = new TPixel[image.Width * image.Height];
        image.CopyPixelDataTo(source);
        for (var i = 0; i < source.Length; i++) toRgb(source[i], result.Pixels.AsSpan(i * RgbImage.Channels, RgbImage.Channels));
        return result;
    }

    /// <summary>Rotates/flips by an EXIF orientation with ImageSharp's AutoOrient, whatever metadata the decoder kept.</summary>
    private static void Orient<TPixel>(Image<TPixel> image, int orientation) where TPixel : unmanaged, IPixel<TPixel>
    {
        if (orientation == 1) return;
        image.Metadata.ExifProfile ??= new ExifProfile();
        image.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)orientation);
        image.Mutate(x => x.AutoOrient());
    }

    /// <summary>The orientation tag of an EXIF profile; 1 (upright) when absent or out of range.</summary>
    internal static int Orientation(ExifProfile? profile)
    {
        if (profile?.GetValue(ExifTag.Orientation) is not { } tag) return 1;
        var value = (int)tag.Value;
        return value is >= 1 and <= 8 ? value : 1;
    }

    private static Stream OpenStream(ReadOnlyMemory<byte> encoded) =>
        MemoryMarshal.TryGetArray(encoded, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(encoded.ToArray(), writable: false);

    /// <summary>Runs a decoder step, turning any failure caused by the bytes into an InvalidInputException.</summary>
    private static T Guard<T>(string field, string format, Func<T> step)
    {
        try
        {
            return step();
        }
        catch (InvalidInputException)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException and not SixLabors.ImageSharp.Memory.InvalidMemoryOperationException)
        {
            // Malformed content surfaces as ImageFormatException and its subclasses, but also as the argument and
            // index exceptions of a decoder that meets impossible values; all of them mean "these bytes are bad".
            throw new InvalidInputException(field, $"is not a valid {format} image: {e.Message}");
        }
    }
}
