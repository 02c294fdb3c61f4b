namespace Mustafar.Models.Imaging;

/// <summary>
/// An 8-bit RGB image in memory, row-major HWC with channels interleaved (R, G, B): the layout of PIL's "RGB"
/// mode as numpy sees it (<c>np.asarray(image)</c>), which every preprocessing step here works on.
/// </summary>
public sealed class RgbImage
{
    public const int Channels = 3;

    public int Width { get; }
    public int Height { get; }

    /// <summary>Height * Width * 3 bytes, row by row.</summary>
    public byte[] Pixels { get; }

    public RgbImage(int width, int height, byte[] pixels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.LongLength != (long)width * height * Channels)
            throw new ArgumentException($"{width}x{height} RGB needs {(long)width * height * Channels} bytes, not {pixels.LongLength}", nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    /// <summary>A new image filled with one colour (PIL's <c>Image.new("RGB", size, color)</c>).</summary>
    public static RgbImage Filled(int width, int height, Rgb color)
    {
        var image = new RgbImage(width, height, new byte[checked(width * height * Channels)]);
        var pixels = image.Pixels.AsSpan();
        for (var i = 0; i < pixels.Length; i += Channels)
        {
            pixels[i] = color.R;
            pixels[i + 1] = color.G;
            pixels[i + 2] = color.B;
        }
        return image;
    }

    public Rgb this[int x, int y]
    {
        get
        {
            var i = Offset(x, y);
            return new Rgb(Pixels[i], Pixels[i + 1], Pixels[i + 2]);
        }
    }

    /// <summary>The byte offset of pixel (x, y).</summary>
    public int Offset(int x, int y)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)x, (uint)Width, nameof(x));
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)y, (uint)Height, nameof(y));
        return (y * Width + x) * Channels;
    }

    /// <summary>One row of pixels (Width * 3 bytes).</summary>
    public Span<byte> Row(int y) => Pixels.AsSpan(Offset(0, y), Width * Channels);

    public override string ToString() => $"RgbImage {Width}x{Height}";
}

/// <summary>One 8-bit RGB colour.</summary>
public readonly record struct Rgb(byte R, byte G, byte B);
