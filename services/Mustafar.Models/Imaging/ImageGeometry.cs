namespace Mustafar.Models.Imaging;

/// <summary>Pasting and cropping on uint8 RGB, with the exact offsets of the reference implementations.</summary>
internal static class ImageGeometry
{
    /// <summary>
    /// LLaVA-1.5's <c>expand2square</c> drawn: a square canvas of side max(W, H) filled with <paramref name="background"/>,
    /// the image pasted at ((side - W) // 2, (side - H) // 2). A square image is returned as is. The preprocessing
    /// resizes a <see cref="PaddedImage"/> instead, which never draws the canvas.
    /// </summary>
    public static RgbImage ExpandToSquare(RgbImage image, Rgb background)
    {
        ArgumentNullException.ThrowIfNull(image);
        return image.Width == image.Height ? image : PaddedImage.Square(image, background).Draw();
    }

    /// <summary>
    /// transformers' <c>center_crop</c>: top = (H - h) // 2, left = (W - w) // 2 (floor division); where the crop
    /// is larger than the image, the image is first centred on a zero canvas with ceil((size - H) / 2) rows and
    /// columns before it, as transformers pads.
    /// </summary>
    public static RgbImage CenterCrop(RgbImage image, int cropHeight, int cropWidth)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cropHeight);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cropWidth);
        if (cropHeight <= image.Height && cropWidth <= image.Width)
            return Crop(image, FloorHalf(image.Width - cropWidth), FloorHalf(image.Height - cropHeight), cropWidth, cropHeight);

        var paddedHeight = Math.Max(cropHeight, image.Height);
        var paddedWidth = Math.Max(cropWidth, image.Width);
        var padded = RgbImage.Filled(paddedWidth, paddedHeight, default);
        var top = (paddedHeight - image.Height + 1) / 2;
        var left = (paddedWidth - image.Width + 1) / 2;
        Paste(padded, image, left, top);
        return Crop(padded, FloorHalf(image.Width - cropWidth) + left, FloorHalf(image.Height - cropHeight) + top, cropWidth, cropHeight);
    }

    /// <summary>The rectangle [left, left + width) x [top, top + height), which must lie inside the image.</summary>
    public static RgbImage Crop(RgbImage image, int left, int top, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (left < 0 || top < 0 || width <= 0 || height <= 0 || left + width > image.Width || top + height > image.Height)
            throw new ArgumentOutOfRangeException(nameof(image), $"crop ({left}, {top}, {width}x{height}) is outside the {image.Width}x{image.Height} image");
        var output = new RgbImage(width, height, new byte[width * height * RgbImage.Channels]);
        for (var y = 0; y < height; y++)
            image.Pixels.AsSpan(image.Offset(left, top + y), width * RgbImage.Channels).CopyTo(output.Row(y));
        return output;
    }

    /// <summary>Copies <paramref name="image"/> onto <paramref name="canvas"/> with its top-left corner at (left, top).</summary>
    public static void Paste(RgbImage canvas, RgbImage image, int left, int top)
    {
        ArgumentNullException.ThrowIfNull(canvas);
        ArgumentNullException.ThrowIfNull(image);
        if (left < 0 || top < 0 || left + image.Width > canvas.Width || top + image.Height > canvas.Height)
            throw new ArgumentOutOfRangeException(nameof(image), $"a {image.Width}x{image.Height} image at ({left}, {top}) does not fit the {canvas.Width}x{canvas.Height} canvas");
        for (var y = 0; y < image.Height; y++)
            image.Row(y).CopyTo(canvas.Pixels.AsSpan(canvas.Offset(left, top + y), image.Width * RgbImage.Channels));
    }

    /// <summary>Python's <c>n // 2</c>, which rounds towards negative infinity.</summary>
    private static int FloorHalf(int n) => n >> 1;
}
