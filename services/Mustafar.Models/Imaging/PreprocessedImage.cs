namespace Mustafar.Models.Imaging;

/// <summary>A model-ready image: float32 CHW [3, Height, Width], plus what the caller may want to report.</summary>
public sealed record PreprocessedImage(float[] Pixels, int Height, int Width, int SourceWidth, int SourceHeight, ImageAspect Aspect)
{
    public long[] Shape => [3, Height, Width];
}
