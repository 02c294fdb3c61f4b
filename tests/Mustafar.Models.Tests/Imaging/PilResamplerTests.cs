using Mustafar.Models.Imaging;

namespace Mustafar.Models.Tests.Imaging;

/// <summary>Properties of Pillow's resampling that hold for every filter; bit-exactness against Pillow itself is
/// checked on the fixture in <see cref="ClipPreprocessParityTests"/>.</summary>
public sealed class PilResamplerTests
{
    public static TheoryData<ResampleFilter> Filters => new(Enum.GetValues<ResampleFilter>());

    [Theory]
    [MemberData(nameof(Filters))]
    public void A_flat_image_stays_flat_at_any_size(ResampleFilter filter)
    {
        var flat = RgbImage.Filled(37, 23, new Rgb(200, 7, 128));
        foreach (var (w, h) in new[] { (10, 5), (80, 61), (37, 9), (3, 23), (1, 1) })
        {
            var resized = PilResampler.Resize(flat, w, h, filter);
            Assert.Equal((w, h), (resized.Width, resized.Height));
            Assert.All(Enumerable.Range(0, w * h), i => Assert.Equal(new Rgb(200, 7, 128), resized[i % w, i / w]));
        }
    }

    [Fact]
    public void The_same_size_is_a_copy()
    {
        var image = RgbImages.Pattern(12, 9);
        var same = PilResampler.Resize(image, 12, 9, ResampleFilter.Bicubic);
        Assert.NotSame(image.Pixels, same.Pixels);
        Assert.Equal(image.Pixels, same.Pixels);
    }

    [Fact]
    public void Halving_with_the_box_filter_averages_pairs_rounding_half_up()
    {
        // Box weights are exactly 1/2 each: (a + b) / 2 in 22-bit fixed point from a half-unit start.
        var row = new RgbImage(4, 1, [10, 0, 255, 11, 1, 254, 100, 50, 0, 101, 51, 1]);
        var halved = PilResampler.Resize(row, 2, 1, ResampleFilter.Box);
        Assert.Equal([11, 1, 255, 101, 51, 1], halved.Pixels);
    }

    [Fact]
    public void A_dimension_that_keeps_its_size_is_not_filtered()
    {
        // Only the width changes: every row is resized on its own, so rows stay independent.
        var image = RgbImages.Pattern(30, 4);
        var resized = PilResampler.Resize(image, 11, 4, ResampleFilter.Bicubic);
        for (var y = 0; y < 4; y++)
        {
            var alone = PilResampler.Resize(new RgbImage(30, 1, image.Row(y).ToArray()), 11, 1, ResampleFilter.Bicubic);
            Assert.Equal(alone.Pixels, resized.Row(y).ToArray());
        }
    }

    [Fact]
    public void Bicubic_overshoot_is_clamped_to_the_uint8_range()
    {
        // A hard black/white edge rings with a = -0.5; the ring must clamp at 0 and 255, not wrap.
        var pixels = new byte[16 * 3];
        for (var i = 8 * 3; i < pixels.Length; i++) pixels[i] = 255;
        var upscaled = PilResampler.Resize(new RgbImage(16, 1, pixels), 64, 1, ResampleFilter.Bicubic);
        Assert.Equal(0, upscaled.Pixels[..60].Max());
        Assert.Equal(255, upscaled.Pixels[^60..].Min());
        Assert.Contains(upscaled.Pixels, p => p is > 0 and < 255);
    }

    [Fact]
    public void Downscaling_is_antialiased()
    {
        // One-pixel stripes average to grey when the support widens with the scale; a plain bicubic
        // would sample the stripes and keep near-black/near-white values.
        var pixels = new byte[64 * 3];
        for (var x = 0; x < 64; x += 2) pixels[x * 3] = pixels[x * 3 + 1] = pixels[x * 3 + 2] = 255;
        var reduced = PilResampler.Resize(new RgbImage(64, 1, pixels), 8, 1, ResampleFilter.Bicubic);
        Assert.All(reduced.Pixels, p => Assert.InRange(p, 120, 135));
    }
}
