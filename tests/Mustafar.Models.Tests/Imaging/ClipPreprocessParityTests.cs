using System.Text.Json;
using Mustafar.Models.Imaging;
using Mustafar.Testing;
using Xunit.Abstractions;

namespace Mustafar.Models.Tests.Imaging;

/// <summary>
/// transformers' CLIPImageProcessor and LLaVA's expand2square against the clip_preprocess fixture. The uint8
/// stages must match exactly (a one-step difference is 0.0146 after normalisation, above the 1e-2 tolerance),
/// and the normalised pixels within 1e-2.
/// </summary>
public sealed class ClipPreprocessParityTests(ITestOutputHelper output)
{
    private const string Fixture = "clip_preprocess";
    private const double PixelTolerance = 1e-2;

    private sealed record Case(string Folder, JsonElement Json, ClipImagePreprocessor Preprocessor, RgbImage Image)
    {
        public string Outputs => Path.Combine(Folder, "outputs.safetensors");
    }

    private static Case Load()
    {
        var folder = ReferenceFixtures.Require(Fixture);
        var json = ReferenceFixtures.Case(Fixture);
        // The one image file the case lists (its name is the fixture's choice).
        var imageName = json.GetProperty("files").EnumerateObject().Select(p => p.Name)
            .Single(n => n.EndsWith(".png", StringComparison.OrdinalIgnoreCase) || n.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase));
        var preprocessor = new ClipImagePreprocessor(ClipImageProcessorConfig.Load(Path.Combine(folder, "preprocessor_config.json")));
        var image = ImageDecoder.Decode(File.ReadAllBytes(Path.Combine(folder, imageName))).Image;
        return new Case(folder, json, preprocessor, image);
    }

    [SkippableFact]
    public void The_decoded_image_equals_the_reference_decode()
    {
        var c = Load();
        var input = Path.Combine(c.Folder, "inputs.safetensors");
        var shape = FixtureTensors.Shape(input, "image_uint8_hwc");
        Assert.Equal([shape[0], shape[1], 3], new long[] { c.Image.Height, c.Image.Width, 3 });
        Assert.Equal(FixtureTensors.Uint8(input, "image_uint8_hwc"), c.Image.Pixels);
    }

    [SkippableFact]
    public void The_pad_colour_is_the_truncated_mean()
    {
        var c = Load();
        var expected = c.Json.GetProperty("parameters").GetProperty("llava_pad_background_rgb").EnumerateArray().Select(v => (byte)v.GetInt32()).ToArray();
        var color = c.Preprocessor.Config.PadColor;
        Assert.Equal(expected, new[] { color.R, color.G, color.B });
    }

    [SkippableTheory]
    [InlineData(AspectFit.Crop, "resized_cropped_uint8_hwc")]
    [InlineData(AspectFit.Pad, "llava_pad_square_resized_uint8_hwc")]
    public void The_resize_is_bit_exact_with_pillow(AspectFit aspect, string reference)
    {
        var c = Load();
        var expected = FixtureTensors.Uint8(c.Outputs, reference);
        var actual = c.Preprocessor.ResizeAndCrop(c.Image, aspect);
        var shape = FixtureTensors.Shape(c.Outputs, reference);
        Assert.Equal(shape, new long[] { actual.Height, actual.Width, 3 });

        var differing = Enumerable.Range(0, expected.Length / 3)
            .Count(p => expected[p * 3] != actual.Pixels[p * 3] || expected[p * 3 + 1] != actual.Pixels[p * 3 + 1] || expected[p * 3 + 2] != actual.Pixels[p * 3 + 2]);
        var maxStep = expected.Zip(actual.Pixels, (a, b) => Math.Abs(a - b)).Max();
        output.WriteLine($"{reference}: {differing} of {expected.Length / 3} pixels differ, max |diff| {maxStep} uint8 steps");
        Assert.Equal(0, differing);
    }

    [SkippableTheory]
    [InlineData(AspectFit.Crop, "pixel_values")]
    [InlineData(AspectFit.Pad, "pixel_values_llava_pad")]
    public void Pixel_values_match_the_image_processor(AspectFit aspect, string reference)
    {
        var c = Load();
        var expected = FixtureTensors.Float32(c.Outputs, reference);
        var actual = c.Preprocessor.Preprocess(c.Image, aspect);
        Assert.Equal(FixtureTensors.Shape(c.Outputs, reference), new long[] { 1 }.Concat(actual.Shape).ToArray());
        var maxDiff = expected.Zip(actual.Pixels, (a, b) => Math.Abs((double)a - b)).Max();
        output.WriteLine($"{reference}: max |diff| {maxDiff:G3}");
        Assert.True(maxDiff <= PixelTolerance, $"{reference}: max |diff| {maxDiff} > {PixelTolerance}");
    }

    [SkippableFact]
    public void The_decoded_fixture_bytes_go_through_the_whole_pipeline()
    {
        var c = Load();
        var imageName = c.Json.GetProperty("files").EnumerateObject().Select(p => p.Name).Single(n => n.EndsWith(".png", StringComparison.OrdinalIgnoreCase));
        var fromBytes = c.Preprocessor.Preprocess(File.ReadAllBytes(Path.Combine(c.Folder, imageName)), AspectFit.Pad);
        Assert.Equal(c.Image.Width, fromBytes.SourceWidth);
        Assert.Equal(c.Image.Height, fromBytes.SourceHeight);
        var expected = FixtureTensors.Float32(c.Outputs, "pixel_values_llava_pad");
        Assert.True(expected.Zip(fromBytes.Pixels, (a, b) => Math.Abs(a - b)).Max() <= PixelTolerance);
    }
}
