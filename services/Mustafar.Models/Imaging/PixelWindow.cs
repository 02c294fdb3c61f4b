namespace Mustafar.Models.Imaging;

/// <summary>The rectangle [Left, Left + Width) x [Top, Top + Height) of an image.</summary>
internal readonly record struct PixelWindow(int Left, int Top, int Width, int Height)
{
    public static PixelWindow Whole(int width, int height) => new(0, 0, width, height);

    /// <summary>What transformers' <c>center_crop</c> keeps of an image of this size, per axis: the centred crop
    /// where the image is at least as large, the whole axis where it is smaller (the crop then pads it).</summary>
    public static PixelWindow CenterCropOf(int width, int height, int cropWidth, int cropHeight)
    {
        var (left, keptWidth) = CentredSpan(width, cropWidth);
        var (top, keptHeight) = CentredSpan(height, cropHeight);
        return new PixelWindow(left, top, keptWidth, keptHeight);
    }

    /// <summary>Python's <c>(size - crop) // 2</c> when the crop fits, which is a floor for these non-negative values.</summary>
    private static (int Start, int Length) CentredSpan(int size, int crop) => size >= crop ? ((size - crop) / 2, crop) : (0, size);

    public void CheckInside(int width, int height)
    {
        if (Left < 0 || Top < 0 || Width <= 0 || Height <= 0 || (long)Left + Width > width || (long)Top + Height > height)
            throw new ArgumentOutOfRangeException(nameof(PixelWindow), $"the window ({Left}, {Top}, {Width}x{Height}) is outside the {width}x{height} image");
    }
}
