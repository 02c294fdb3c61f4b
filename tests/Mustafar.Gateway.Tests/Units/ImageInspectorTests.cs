using Mustafar.Gateway.Pipeline;
using Mustafar.Gateway.TestServers;
using Mustafar.Tensors;

namespace Mustafar.Gateway.Tests.Units;

public sealed class ImageInspectorTests
{
    [Fact]
    public void Reads_png_size_and_hashes_the_bytes()
    {
        var png = TestImages.Png(13, 7, 1);
        var image = ImageInspector.Inspect(png, "image", 1 << 20, 1 << 20);
        Assert.Equal(("png", 13, 7), (image.Format, image.Width, image.Height));
        Assert.Equal(TestFeatureMath.Sha256(png), image.Sha256);
    }

    [Fact]
    public void Reads_jpeg_size_from_the_first_frame_header()
    {
        // SOI, an APP0 segment to skip, then SOF0 with height 300 and width 200.
        byte[] jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x4A, 0x46, 0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x01, 0x2C, 0x00, 0xC8, 0x03, 0x01, 0x22, 0x00];
        var image = ImageInspector.Inspect(jpeg, "image", 1 << 20, 1 << 20);
        Assert.Equal(("jpeg", 200, 300), (image.Format, image.Width, image.Height));
    }

    [Theory]
    [InlineData("VP8X", new byte[] { 0, 0, 0, 0, 0x63, 0, 0, 0x31, 0, 0 }, 100, 50)]
    [InlineData("VP8L", new byte[] { 0x2F, 0x63, 0x40, 0x0C, 0x00, 0, 0, 0, 0, 0 }, 100, 50)]
    [InlineData("VP8 ", new byte[] { 0, 0, 0, 0x9D, 0x01, 0x2A, 0x64, 0x00, 0x32, 0x00 }, 100, 50)]
    public void Reads_the_three_webp_flavours(string chunk, byte[] data, int width, int height)
    {
        var bytes = "RIFF"u8.ToArray().Concat(new byte[4]).Concat("WEBP"u8.ToArray()).Concat(System.Text.Encoding.ASCII.GetBytes(chunk))
            .Concat(new byte[4]).Concat(data).ToArray();
        var image = ImageInspector.Inspect(bytes, "image", 1 << 20, 1 << 20);
        Assert.Equal(("webp", width, height), (image.Format, image.Width, image.Height));
    }

    [Fact]
    public void Refuses_what_is_not_an_image_naming_the_field()
    {
        var error = Assert.Throws<InvalidInputException>(() => ImageInspector.Inspect("GIF89a and so on"u8, "messages[0].content[1].image_url", 1 << 20, 1 << 20));
        Assert.Equal("messages[0].content[1].image_url", error.Field);
        Assert.Throws<InvalidInputException>(() => ImageInspector.Inspect(TestImages.Png(4, 4, 1).AsSpan(0, 20), "image", 1 << 20, 1 << 20));
        Assert.Throws<InvalidInputException>(() => ImageInspector.Inspect([], "image", 1 << 20, 1 << 20));
    }

    [Fact]
    public void Refuses_too_many_bytes_or_pixels_as_too_large()
    {
        var png = TestImages.Png(10, 10, 1);
        Assert.Throws<InputTooLargeException>(() => ImageInspector.Inspect(png, "image", png.Length - 1, 1 << 20));
        Assert.Throws<InputTooLargeException>(() => ImageInspector.Inspect(png, "image", 1 << 20, 99));
        ImageInspector.Inspect(png, "image", png.Length, 100);
    }

    [Theory]
    [InlineData(30_000, 1)]
    [InlineData(1, 1_000_000)]
    [InlineData(3001, 3)]
    public void Refuses_a_degenerate_aspect_ratio_naming_the_field(int width, int height)
    {
        var png = TestImages.Png(width, height, 1);
        var error = Assert.Throws<InvalidInputException>(() => ImageInspector.Inspect(png, "image", 1 << 24, 1L << 30));
        Assert.Equal("image", error.Field);
        Assert.Contains($"{width}x{height}", error.Message, StringComparison.Ordinal);
        Assert.Equal(3000, ImageInspector.Inspect(TestImages.Png(3000, 3, 1), "image", 1 << 24, 1L << 30).Width);
        Assert.Throws<InvalidInputException>(() => ImageInspector.Inspect(TestImages.Png(3000, 3, 1), "image", 1 << 24, 1L << 30, maxAspectRatio: 999));
    }
}
