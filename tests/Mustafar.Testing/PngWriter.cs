using Mustafar.Data.Imaging;

namespace Mustafar.Testing;

/// <summary>Writes 8-bit RGB PNG files around image data the caller deflated (so tests can write real images, and
/// images whose header and data disagree on purpose), with the product's own PNG chunk writer.</summary>
public static class PngWriter
{
    /// <param name="zlibData">The IDAT payload: the zlib stream of the filtered rows (any bytes, for malformed images).</param>
    public static byte[] Rgb(int width, int height, byte[] zlibData) => PngEncoder.Assemble(width, height, zlibData);
}
