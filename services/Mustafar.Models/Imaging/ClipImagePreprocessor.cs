namespace Mustafar.Models.Imaging;

/// <summary>
/// CLIP's image preprocessing as transformers' <c>CLIPImageProcessor</c> computes it, with LLaVA-1.5's optional
/// pad-to-square in front: [expand2square with the mean colour] -> resize (shortest edge, long side truncated;
/// Pillow's antialiased filter on uint8) -> centre crop -> rescale -> normalise -> CHW. Pure CPU work with no
/// torch state, so callers can run it on any thread, off the inference thread.
/// </summary>
public sealed class ClipImagePreprocessor
{
    public ClipImageProcessorConfig Config { get; }
    public ImageDecodeOptions DecodeOptions { get; }

    public ClipImagePreprocessor(ClipImageProcessorConfig config, ImageDecodeOptions? decodeOptions = null)
    {
        Config = config;
        DecodeOptions = decodeOptions ?? ImageDecodeOptions.Default;
    }

    /// <summary>Decodes and preprocesses encoded image bytes; bad bytes fail with InvalidInputException naming
    /// <paramref name="field"/>.</summary>
    public PreprocessedImage Preprocess(ReadOnlyMemory<byte> encoded, ImageAspect aspect, string field = "image") =>
        Preprocess(ImageDecoder.Decode(encoded, DecodeOptions, field).Image, aspect);

    public PreprocessedImage Preprocess(RgbImage image, ImageAspect aspect)
    {
        ArgumentNullException.ThrowIfNull(image);
        var ready = ResizeAndCrop(image, aspect);
        return new PreprocessedImage(Config.Normalization.ToChw(ready), ready.Height, ready.Width, image.Width, image.Height, aspect);
    }

    /// <summary>The uint8 stages (pad, resize, crop) before rescaling and normalising.</summary>
    public RgbImage ResizeAndCrop(RgbImage image, ImageAspect aspect)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (aspect == ImageAspect.Pad) image = ImageGeometry.ExpandToSquare(image, Config.PadColor);
        if (Config.DoResize)
        {
            var (width, height) = ResizeTarget(image.Width, image.Height);
            image = PilResampler.Resize(image, width, height, Config.Resample);
        }
        return Config.DoCenterCrop ? ImageGeometry.CenterCrop(image, Config.CropHeight, Config.CropWidth) : image;
    }

    /// <summary>transformers' <c>get_resize_output_image_size(default_to_square=False)</c>: the short side becomes
    /// shortest_edge and the long side <c>int(shortest_edge * long / short)</c>, truncated.</summary>
    public (int Width, int Height) ResizeTarget(int width, int height)
    {
        if (Config.ShortestEdge is not { } edge) return (Config.ResizeWidth!.Value, Config.ResizeHeight!.Value);
        var (shortSide, longSide) = width <= height ? (width, height) : (height, width);
        var newLong = (int)((double)edge * longSide / shortSide);
        return width <= height ? (edge, newLong) : (newLong, edge);
    }

    /// <summary>Side lengths of the model input this config produces for a square result, when it is fixed.</summary>
    public (int Height, int Width)? OutputSize =>
        Config.DoCenterCrop ? (Config.CropHeight, Config.CropWidth)
        : Config.DoResize && Config.ShortestEdge is null ? (Config.ResizeHeight!.Value, Config.ResizeWidth!.Value)
        : null;
}
