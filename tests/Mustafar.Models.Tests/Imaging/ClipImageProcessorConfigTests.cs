using System.Text.Json.Nodes;
using Mustafar.Models.Checkpoints;
using Mustafar.Models.Imaging;

namespace Mustafar.Models.Tests.Imaging;

public sealed class ClipImageProcessorConfigTests
{
    private static ClipImageProcessorConfig Parse(string json) =>
        ClipImageProcessorConfig.From(new HfConfig((JsonObject)JsonNode.Parse(json)!, "preprocessor_config.json"));

    [Fact]
    public void Missing_keys_take_clip_image_processor_defaults()
    {
        var config = Parse("{}");
        Assert.Equal(224, config.ShortestEdge);
        Assert.Equal((224, 224), (config.CropHeight, config.CropWidth));
        Assert.Equal(ResampleFilter.Bicubic, config.Resample);
        Assert.Equal(ClipImageProcessorConfig.OpenAiClipMean, config.ImageMean);
        Assert.Null(config.DoPad);
    }

    [Fact]
    public void Bare_integer_sizes_mean_shortest_edge_and_a_square_crop()
    {
        var config = Parse("""{"size": 336, "crop_size": 336, "resample": 2}""");
        Assert.Equal(336, config.ShortestEdge);
        Assert.Equal((336, 336), (config.CropHeight, config.CropWidth));
        Assert.Equal(ResampleFilter.Bilinear, config.Resample);
    }

    [Fact]
    public void Height_and_width_sizes_resize_exactly()
    {
        var config = Parse("""{"size": {"height": 20, "width": 30}, "do_center_crop": false}""");
        var preprocessor = new ClipImagePreprocessor(config);
        Assert.Null(config.ShortestEdge);
        Assert.Equal((30, 20), preprocessor.ResizeTarget(640, 480));
        Assert.Equal((20, 30), preprocessor.OutputSize);
    }

    [Theory]
    [InlineData(640, 480, 448, 336)]
    [InlineData(480, 640, 336, 448)]
    [InlineData(500, 333, 504, 336)] // 336 * 500 / 333 = 504.5 -> 504 (truncated, not rounded)
    [InlineData(336, 336, 336, 336)]
    public void The_long_side_is_truncated(int width, int height, int expectedWidth, int expectedHeight)
    {
        var preprocessor = new ClipImagePreprocessor(ClipImageProcessorConfig.ForImageSize(336));
        Assert.Equal((expectedWidth, expectedHeight), preprocessor.ResizeTarget(width, height));
    }

    [Fact]
    public void Unsupported_filters_and_bad_statistics_fail_with_the_file_named()
    {
        Assert.Contains("resample 0", Assert.Throws<InvalidDataException>(() => Parse("""{"resample": 0}""")).Message, StringComparison.Ordinal);
        Assert.Contains("preprocessor_config.json", Assert.Throws<InvalidDataException>(() => Parse("""{"image_std": [1, 0, 1]}""")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_written_file_reads_back_the_same()
    {
        var original = ClipImageProcessorConfig.ForImageSize(28) with { DoPad = true };
        var roundTrip = ClipImageProcessorConfig.From(new HfConfig(original.ToJson(), "written"));
        Assert.Equal(original.ShortestEdge, roundTrip.ShortestEdge);
        Assert.Equal((original.CropHeight, original.CropWidth), (roundTrip.CropHeight, roundTrip.CropWidth));
        Assert.Equal(original.ImageMean, roundTrip.ImageMean);
        Assert.Equal(original.ImageStd, roundTrip.ImageStd);
        Assert.Equal(original.RescaleFactor, roundTrip.RescaleFactor);
        Assert.True(roundTrip.DoPad);
    }
}
