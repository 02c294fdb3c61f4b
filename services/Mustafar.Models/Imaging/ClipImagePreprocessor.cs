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
    public PreprocessedImage Preprocess(ReadOnlyMemory<byte> encoded, AspectFit aspect, string field = "image") =>
        Preprocess(ImageDecoder.Decode(encoded, DecodeOptions, field).Image, aspect);

    public PreprocessedImage Preprocess(RgbImage image, AspectFit aspect)
    {
        ArgumentNullException.ThrowIfNull(image);
        var ready = ResizeAndCrop(image, aspect);
        return new PreprocessedImage(Config.Normalization.ToChw(ready), ready.Height, ready.Width, image.Width, image.Height, aspect);
    }

    /// <summary>The uint8 stages (pad, resize, crop) before rescaling and normalising. Only what the crop keeps
    /// is resized, and the padded square is never drawn, so the work and memory follow the output size whatever
    /// the image's aspect ratio (a 20000x1 image padded is a 20000x20000 square: 1.2 GB if drawn).</summary>
    public RgbImage ResizeAndCrop(RgbImage image, AspectFit aspect)
    {
        ArgumentNullException.ThrowIfNull(image);
        var canvas = aspect == AspectFit.Pad ? PaddedImage.Square(image, Config.PadColor) : PaddedImage.Plain(image);
        var (width, height) = Config.DoResize ? ResizeTarget(canvas.CanvasWidth, canvas.CanvasHeight) : (canvas.CanvasWidth, canvas.CanvasHeight);
        var window = Config.DoCenterCrop
            ? PixelWindow.CenterCropOf(width, height, Config.CropWidth, Config.CropHeight)
            : PixelWindow.Whole(width, height);
        // An unchanged size is not filtered, so without DoResize this only cuts the window out of the canvas.
        var resized = PilResampler.Resize(canvas, width, height, window, Config.Resample);
        // The window already is the crop where the image is large enough; where it is smaller, this pads it.
        return Config.DoCenterCrop ? ImageGeometry.CenterCrop(resized, Config.CropHeight, Config.CropWidth) : resized;
    }

    /// <summary>transformers' <c>get_resize_output_image_size(default_to_square=False)</c>: the short side becomes
    /// shortest_edge and the long side <c>int(shortest_edge * long / short)</c>, truncated.</summary>
    public (int Width, int Height) ResizeTarget(int width, int height)
    {
        if (Config.ShortestEdge is not { } edge) return (Config.ResizeWidth!.Value, Config.ResizeHeight!.Value);
        var (shortSide, longSide) = width <= height ? (width, height) : (height, width);
        var newLong = Math.Floor((double)edge * longSide / shortSide);
        if (newLong > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(width), $"resizing {width}x{height} to a shortest edge of {edge} makes a side of {newLong} pixels");
        return width <= height ? (edge, (int)newLong) : ((int)newLong, edge);
    }

    /// <summary>Side lengths of the model input this config produces for a square result, when it is fixed.</summary>
    public (int Height, int Width)? OutputSize =>
        Config.DoCenterCrop ? (Config.CropHeight, Config.CropWidth)
        : Config.DoResize && Config.ShortestEdge is null ? (Config.ResizeHeight!.Value, Config.ResizeWidth!.Value)
        : null;
}
