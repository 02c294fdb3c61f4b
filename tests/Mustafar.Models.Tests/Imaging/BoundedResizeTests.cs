using Mustafar.Models.Imaging;

namespace Mustafar.Models.Tests.Imaging;

/// <summary>
/// The preprocessing's work and memory follow the output, whatever the image's shape: a padded canvas is never
/// drawn, a crop resizes only what it keeps, and the resampler holds no intermediate image. The results are those
/// of drawing, resizing and cropping everything (which Pillow parity pins in <see cref="ClipPreprocessParityTests"/>).
/// </summary>
public sealed class BoundedResizeTests
{
    private static readonly Rgb Grey = new(122, 116, 104);

    public static TheoryData<ResampleFilter> Filters => new(Enum.GetValues<ResampleFilter>());

    [Theory]
    [MemberData(nameof(Filters))]
    public void A_window_of_a_padded_canvas_is_exactly_that_part_of_the_drawn_canvas_resized(ResampleFilter filter)
    {
        var cases = new (int W, int H, int OutW, int OutH, PixelWindow Window)[]
        {
            (13, 3, 7, 7, PixelWindow.Whole(7, 7)),          // wide, downscaled
            (3, 17, 29, 29, new PixelWindow(5, 2, 20, 25)),  // tall, upscaled, windowed
            (40, 9, 40, 11, new PixelWindow(3, 0, 30, 11)),  // the width unchanged: not filtered
            (120, 2, 9, 9, new PixelWindow(1, 4, 7, 3)),     // image rows inside a few output rows only
        };
        foreach (var (w, h, outW, outH, window) in cases)
        {
            var padded = PaddedImage.Square(RgbImages.Pattern(w, h, seed: w), Grey);
            var drawn = PilResampler.Resize(padded.Draw(), outW, outH, filter);
            var expected = ImageGeometry.Crop(drawn, window.Left, window.Top, window.Width, window.Height);
            var actual = PilResampler.Resize(padded, outW, outH, window, filter);
            Assert.Equal(expected.Pixels, actual.Pixels);
        }
    }

    [Theory]
    [InlineData(2000, 3, AspectFit.Pad)]
    [InlineData(3, 1500, AspectFit.Pad)]
    [InlineData(600, 3, AspectFit.Crop)]
    [InlineData(5, 700, AspectFit.Crop)]
    [InlineData(20, 10, AspectFit.Crop)] // upscaled to 448x224
    public void Clip_preprocessing_equals_pad_resize_and_crop_done_in_full(int width, int height, AspectFit aspect)
    {
        var preprocessor = new ClipImagePreprocessor(ClipImageProcessorConfig.ForImageSize(224));
        var image = RgbImages.Pattern(width, height, seed: 3);
        var square = aspect == AspectFit.Pad ? ImageGeometry.ExpandToSquare(image, preprocessor.Config.PadColor) : image;
        var (w, h) = preprocessor.ResizeTarget(square.Width, square.Height);
        var expected = ImageGeometry.CenterCrop(PilResampler.Resize(square, w, h, ResampleFilter.Bicubic), 224, 224);
        Assert.Equal(expected.Pixels, preprocessor.ResizeAndCrop(image, aspect).Pixels);
    }

    [Fact]
    public void A_crop_larger_than_the_resized_image_still_pads_as_transformers_does()
    {
        var preprocessor = new ClipImagePreprocessor(ClipImageProcessorConfig.ForImageSize(24) with { CropHeight = 30, CropWidth = 20 });
        var image = RgbImages.Pattern(50, 31, seed: 4);
        var (w, h) = preprocessor.ResizeTarget(50, 31);
        var expected = ImageGeometry.CenterCrop(PilResampler.Resize(image, w, h, ResampleFilter.Bicubic), 30, 20);
        Assert.Equal(expected.Pixels, preprocessor.ResizeAndCrop(image, AspectFit.Crop).Pixels);
    }

    /// <summary>The shapes of issue #13: drawn, the 20000x1 square is 1.2 GB and the 30000x1 one overflows an int;
    /// cropped, 1000000x1 resizes to 336 million columns. None is drawn or resized in full any more.</summary>
    [Theory]
    [InlineData(20_000, 1, AspectFit.Pad)]
    [InlineData(30_000, 1, AspectFit.Pad)]
    [InlineData(1, 30_000, AspectFit.Pad)]
    [InlineData(30_000, 1, AspectFit.Crop)]
    [InlineData(1_000_000, 1, AspectFit.Crop)]
    [InlineData(1_000_000, 1, AspectFit.Pad)]
    [InlineData(20_000, 20, AspectFit.Pad)]
    public void Very_wide_and_tall_images_cost_the_output_not_the_canvas(int width, int height, AspectFit aspect)
    {
        var preprocessor = new ClipImagePreprocessor(ClipImageProcessorConfig.ForImageSize(336));
        var image = RgbImage.Filled(width, height, new Rgb(250, 10, 10));
        var before = GC.GetAllocatedBytesForCurrentThread();
        var result = preprocessor.ResizeAndCrop(image, aspect);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal((336, 336), (result.Width, result.Height));
        // Resampling coefficients grow with the long side (4 per pixel of it for bicubic, 16 MB per axis at a
        // million); everything else is output-sized. Drawing or resizing in full costs gigabytes.
        Assert.True(allocated < 48 << 20, $"{width}x{height} {aspect}: {allocated / 1e6:F1} MB allocated");
        // The picture is there: cropped, the strip fills the output; padded, it is far thinner than a pixel and
        // the pad colour surrounds it.
        if (aspect == AspectFit.Crop) Assert.Equal(new Rgb(250, 10, 10), result[168, 168]);
        else Assert.Equal(preprocessor.Config.PadColor, result[0, 0]);
    }

    [Theory]
    [InlineData(1, 100_000)]
    [InlineData(1_000_000, 1)]
    [InlineData(40_000, 3)]
    public void The_diffusion_resize_holds_no_intermediate_image(int width, int height)
    {
        var image = RgbImage.Filled(width, height, new Rgb(0, 200, 0));
        var before = GC.GetAllocatedBytesForCurrentThread();
        var resized = PilResampler.Resize(image, 512, 512, ResampleFilter.Bicubic);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 48 << 20, $"{width}x{height} to 512x512: {allocated / 1e6:F1} MB allocated");
        Assert.All(Enumerable.Range(0, 512 * 512), i => Assert.Equal(new Rgb(0, 200, 0), resized[i % 512, i / 512]));
    }
}
