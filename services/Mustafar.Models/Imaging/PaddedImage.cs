namespace Mustafar.Models.Imaging;

/// <summary>
/// An image pasted on a canvas of one colour, described rather than drawn: LLaVA's <c>expand2square</c> of a
/// 30000x1 image is a 30000x30000 canvas (2.7 GB), of which the resampler only needs the image's own rows and the
/// background colour. A plain image is the canvas of its own size.
/// </summary>
internal sealed class PaddedImage
{
    public RgbImage Image { get; }
    public int CanvasWidth { get; }
    public int CanvasHeight { get; }

    /// <summary>The canvas column and row of the image's top-left pixel.</summary>
    public int Left { get; }
    public int Top { get; }

    public Rgb Background { get; }

    public PaddedImage(RgbImage image, int canvasWidth, int canvasHeight, int left, int top, Rgb background)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (left < 0 || top < 0 || (long)left + image.Width > canvasWidth || (long)top + image.Height > canvasHeight)
            throw new ArgumentOutOfRangeException(nameof(image), $"a {image.Width}x{image.Height} image at ({left}, {top}) does not fit the {canvasWidth}x{canvasHeight} canvas");
        (Image, CanvasWidth, CanvasHeight, Left, Top, Background) = (image, canvasWidth, canvasHeight, left, top, background);
    }

    public static PaddedImage Plain(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return new PaddedImage(image, image.Width, image.Height, 0, 0, default);
    }

    /// <summary>LLaVA-1.5's <c>expand2square</c>: a square canvas of side max(W, H), the image at
    /// ((side - W) // 2, (side - H) // 2).</summary>
    public static PaddedImage Square(RgbImage image, Rgb background)
    {
        ArgumentNullException.ThrowIfNull(image);
        var side = Math.Max(image.Width, image.Height);
        return new PaddedImage(image, side, side, (side - image.Width) / 2, (side - image.Height) / 2, background);
    }

    /// <summary>Whether canvas row <paramref name="y"/> holds image pixels.</summary>
    public bool HasImageRow(int y) => y >= Top && y < Top + Image.Height;

    /// <summary>The whole canvas as pixels (sized by the canvas: for small images and tests).</summary>
    public RgbImage Draw()
    {
        var canvas = RgbImage.Filled(CanvasWidth, CanvasHeight, Background);
        ImageGeometry.Paste(canvas, Image, Left, Top);
        return canvas;
    }
}
