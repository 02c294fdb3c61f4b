using System.Buffers.Binary;
using Mustafar.Models.Imaging;
using Mustafar.Tensors;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;

namespace Mustafar.Models.Tests.Imaging;

public sealed class ImageDecoderTests
{
    private static readonly RgbImage Pattern = RgbImages.Pattern(40, 30);

    private static InvalidInputException Rejects(byte[] bytes, ImageDecodeOptions? options = null)
    {
        var error = Assert.ThrowsAny<InvalidInputException>(() => ImageDecoder.Decode(bytes, options, "request.image"));
        Assert.Equal("request.image", error.Field);
        return error;
    }

    [Fact]
    public void Png_round_trips_exactly()
    {
        var decoded = ImageDecoder.Decode(RgbImages.Encode(Pattern, new PngEncoder()));
        Assert.Equal("PNG", decoded.Format);
        Assert.Equal(Pattern.Pixels, decoded.Image.Pixels);
    }

    [Fact]
    public void Lossless_webp_round_trips_exactly()
    {
        var decoded = ImageDecoder.Decode(RgbImages.Encode(Pattern, new WebpEncoder { FileFormat = WebpFileFormatType.Lossless }));
        Assert.Equal("WebP", decoded.Format);
        Assert.Equal(Pattern.Pixels, decoded.Image.Pixels);
    }

    [Fact]
    public void Jpeg_decodes_close_to_the_original()
    {
        var decoded = ImageDecoder.Decode(RgbImages.Encode(RgbImage.Filled(32, 16, new Rgb(30, 140, 220)), new JpegEncoder { Quality = 95 }));
        Assert.Equal("JPEG", decoded.Format);
        Assert.Equal((32, 16), (decoded.Image.Width, decoded.Image.Height));
        Assert.All(decoded.Image.Pixels.Chunk(3), p => Assert.True(Math.Abs(p[0] - 30) <= 3 && Math.Abs(p[1] - 140) <= 3 && Math.Abs(p[2] - 220) <= 3, $"{p[0]},{p[1]},{p[2]}"));
    }

    [Fact]
    public void Empty_bytes_are_rejected()
    {
        Assert.Contains("empty", Rejects([]).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Random_bytes_are_rejected_as_unrecognised()
    {
        var bytes = new byte[4096];
        new Random(7).NextBytes(bytes);
        Assert.Contains("unrecognised", Rejects(bytes).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Gif_and_bmp_are_named_and_rejected()
    {
        Assert.Contains("GIF image; only PNG, JPEG or WebP", Rejects(RgbImages.Encode(Pattern, new GifEncoder())).Reason, StringComparison.Ordinal);
        Assert.Contains("BMP image; only PNG, JPEG or WebP", Rejects(RgbImages.Encode(Pattern, new BmpEncoder())).Reason, StringComparison.Ordinal);
    }

    public static TheoryData<string, int> Truncations => new()
    {
        // format, bytes kept as a percentage of the file (100 = all but the last 2 bytes)
        { "png", 20 }, { "png", 60 }, { "png", 100 },
        { "jpeg", 30 }, { "jpeg", 70 }, { "jpeg", 100 },
        { "webp", 50 }, { "webp", 100 },
        { "webp-lossless", 50 },
    };

    [Theory]
    [MemberData(nameof(Truncations))]
    public void Truncated_files_are_rejected_not_padded(string format, int keepPercent)
    {
        var full = format switch
        {
            "png" => RgbImages.Encode(Pattern, new PngEncoder()),
            "jpeg" => RgbImages.Encode(Pattern, new JpegEncoder()),
            "webp" => RgbImages.Encode(Pattern, new WebpEncoder()),
            _ => RgbImages.Encode(Pattern, new WebpEncoder { FileFormat = WebpFileFormatType.Lossless }),
        };
        var keep = keepPercent == 100 ? full.Length - 2 : full.Length * keepPercent / 100;
        Assert.Contains("truncated", Rejects(full[..keep]).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_jpeg_with_thousands_of_scans_is_rejected_before_decoding()
    {
        var jpeg = RgbImages.Encode(RgbImage.Filled(16, 16, new Rgb(1, 2, 3)), new JpegEncoder());
        var sos = jpeg.AsSpan().IndexOf(new byte[] { 0xFF, 0xDA });
        var scan = jpeg[sos..^2]; // SOS segment and its entropy-coded data, up to EOI
        var many = jpeg[..sos].Concat(Enumerable.Repeat(scan, 2000).SelectMany(s => s)).Concat(jpeg[^2..]).ToArray();
        Assert.Contains("more than 256 scans", Rejects(many).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_corrupted_png_data_chunk_is_rejected()
    {
        var png = RgbImages.Encode(Pattern, new PngEncoder());
        var idat = png.AsSpan().IndexOf("IDAT"u8);
        png[idat + 20] ^= 0x5A;
        Rejects(png);
    }

    [Fact]
    public void The_pixel_cap_applies()
    {
        var png = RgbImages.Encode(Pattern, new PngEncoder());
        var error = Assert.Throws<InputTooLargeException>(() => ImageDecoder.Decode(png, new ImageDecodeOptions { MaxPixels = 40 * 30 - 1 }, "image"));
        Assert.Contains("40x30 = 1200 pixels, more than the limit of 1199", error.Reason, StringComparison.Ordinal);
        Assert.Equal(40, ImageDecoder.Decode(png, new ImageDecodeOptions { MaxPixels = 40 * 30 }).Image.Width);
    }

    [Fact]
    public void A_jpeg_bomb_is_rejected_from_its_header_before_decoding()
    {
        // A real 16x16 JPEG whose frame header claims 60000x60000 (10.8 GB as RGB): decoding it would exhaust
        // memory, so the size must be refused from the header alone.
        var jpeg = RgbImages.Encode(RgbImage.Filled(16, 16, new Rgb(1, 2, 3)), new JpegEncoder());
        var sof = jpeg.AsSpan().IndexOf(new byte[] { 0xFF, 0xC0 });
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 5), 60000);
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 7), 60000);
        var error = Assert.Throws<InputTooLargeException>(() => ImageDecoder.Decode(jpeg));
        Assert.Contains("60000x60000", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_png_bomb_is_rejected_from_its_header_before_decoding()
    {
        var png = RgbImages.Encode(RgbImage.Filled(16, 16, new Rgb(1, 2, 3)), new PngEncoder());
        // IHDR data starts after the signature (8), length (4) and type (4); its CRC follows 13 bytes of data.
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(16), 100_000);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(20), 100_000);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), Crc32(png.AsSpan(12, 17)));
        Assert.Throws<InputTooLargeException>(() => ImageDecoder.Decode(png));
    }

    [Theory]
    [InlineData(6, 8, 16)] // rotate 90° clockwise to display
    [InlineData(3, 16, 8)] // rotate 180°
    public void Exif_orientation_is_applied(ushort orientation, int width, int height)
    {
        // Stored 16x8: left half red, right half blue.
        using var stored = new Image<Rgb24>(16, 8);
        for (var y = 0; y < 8; y++)
            for (var x = 0; x < 16; x++)
                stored[x, y] = x < 8 ? new Rgb24(255, 0, 0) : new Rgb24(0, 0, 255);
        stored.Metadata.ExifProfile = new ExifProfile();
        stored.Metadata.ExifProfile.SetValue(ExifTag.Orientation, orientation);
        var jpeg = RgbImages.Encode(stored, new JpegEncoder { Quality = 100 });

        var decoded = ImageDecoder.Decode(jpeg);
        Assert.Equal(orientation, decoded.ExifOrientation);
        Assert.Equal((width, height), (decoded.Image.Width, decoded.Image.Height));
        var (redCorner, blueCorner) = orientation == 6
            ? (decoded.Image[width - 1, 0], decoded.Image[0, height - 1]) // the stored left edge is now the top
            : (decoded.Image[width - 1, height - 1], decoded.Image[0, 0]); // turned upside down
        Assert.True(redCorner.R > 200 && redCorner.B < 60, $"expected red, got {redCorner}");
        Assert.True(blueCorner.B > 200 && blueCorner.R < 60, $"expected blue, got {blueCorner}");

        var asStored = ImageDecoder.Decode(jpeg, new ImageDecodeOptions { ApplyExifOrientation = false });
        Assert.Equal((16, 8), (asStored.Image.Width, asStored.Image.Height));
    }

    [Fact]
    public void Png_exif_orientation_is_applied_exactly()
    {
        using var stored = new Image<Rgb24>(3, 2);
        stored[0, 0] = new Rgb24(255, 0, 0); // top-left of the stored image
        stored.Metadata.ExifProfile = new ExifProfile();
        stored.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)6);
        var png = RgbImages.Encode(stored, new PngEncoder());
        Assert.True(png.AsSpan().IndexOf("eXIf"u8) > 0, "the encoder wrote no eXIf chunk");

        var decoded = ImageDecoder.Decode(png);
        Assert.Equal(6, decoded.ExifOrientation);
        Assert.Equal((2, 3), (decoded.Image.Width, decoded.Image.Height));
        Assert.Equal(new Rgb(255, 0, 0), decoded.Image[1, 0]); // rotated 90° clockwise: now top-right
    }

    [Fact]
    public void Compressed_png_text_is_never_inflated()
    {
        // A zTXt chunk of 64 MiB of zeros compresses to about 64 KB; inflating it would cost far more memory
        // than the 16x16 image it rides on.
        var png = RgbImages.Encode(RgbImage.Filled(16, 16, new Rgb(4, 5, 6)), new PngEncoder());
        var text = new MemoryStream();
        text.Write("Comment\0\0"u8);
        using (var zlib = new System.IO.Compression.ZLibStream(text, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
            for (var i = 0; i < 64; i++) zlib.Write(new byte[1 << 20]);
        var bomb = InsertChunk(png, "zTXt", text.ToArray());

        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var decoded = ImageDecoder.Decode(bomb);
        var used = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        Assert.Equal(new Rgb(4, 5, 6), decoded.Image[15, 15]);
        Assert.True(used < 16 << 20, $"decoding allocated {used / 1e6:F0} MB");
    }

    [Fact]
    public void Alpha_is_dropped_keeping_the_stored_colour_as_pil_convert_rgb_does()
    {
        using var rgba = new Image<Rgba32>(2, 1);
        rgba[0, 0] = new Rgba32(10, 20, 30, 0);     // fully transparent: PIL keeps (10, 20, 30), no compositing
        rgba[1, 0] = new Rgba32(200, 100, 50, 128); // half transparent: colour unchanged, not premultiplied
        var decoded = ImageDecoder.Decode(RgbImages.Encode(rgba, new PngEncoder { ColorType = PngColorType.RgbWithAlpha }));
        Assert.Equal([10, 20, 30, 200, 100, 50], decoded.Image.Pixels);
    }

    [Fact]
    public void Grey_with_alpha_is_replicated_to_three_channels()
    {
        using var la = new Image<La16>(2, 1);
        la[0, 0] = new La16(77, 0);
        la[1, 0] = new La16(250, 255);
        var decoded = ImageDecoder.Decode(RgbImages.Encode(la, new PngEncoder { ColorType = PngColorType.GrayscaleWithAlpha }));
        Assert.Equal([77, 77, 77, 250, 250, 250], decoded.Image.Pixels);
    }

    [Fact]
    public void Sixteen_bit_rgb_keeps_the_high_byte_as_pil_does()
    {
        using var deep = new Image<Rgba64>(1, 1);
        deep[0, 0] = new Rgba64(0x80FF, 0x00FF, 0xFF00, 0xFFFF); // rounding would give 0x81, 0x01, 0xFE
        var decoded = ImageDecoder.Decode(RgbImages.Encode(deep, new PngEncoder { BitDepth = PngBitDepth.Bit16, ColorType = PngColorType.Rgb }));
        Assert.Equal([0x80, 0x00, 0xFF], decoded.Image.Pixels);
    }

    [Fact]
    public void Sixteen_bit_grey_is_scaled_to_eight_bits_not_clipped_to_white()
    {
        // Pillow clips 16-bit grey at 255, so an ordinary 16-bit picture (values in the thousands) came out white.
        using var deep = new Image<L16>(4, 1);
        deep[0, 0] = new L16(100);
        deep[1, 0] = new L16(0x4000);
        deep[2, 0] = new L16(0x80FF);
        deep[3, 0] = new L16(65535);
        var decoded = ImageDecoder.Decode(RgbImages.Encode(deep, new PngEncoder { BitDepth = PngBitDepth.Bit16, ColorType = PngColorType.Grayscale }));
        Assert.Equal([0, 0, 0, 0x40, 0x40, 0x40, 0x80, 0x80, 0x80, 255, 255, 255], decoded.Image.Pixels);
    }

    [Theory]
    [InlineData(30_000, 1)]
    [InlineData(1, 20_000)]
    [InlineData(1_000_000, 1)]
    [InlineData(3001, 3)]
    public void A_degenerate_aspect_ratio_is_refused_from_the_header(int width, int height)
    {
        using var strip = new Image<Rgb24>(width, height);
        var error = Rejects(RgbImages.Encode(strip, new PngEncoder()));
        Assert.Contains($"{width}x{height}", error.Message, StringComparison.Ordinal);
        Assert.Contains("1000 times its short side", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_aspect_ratio_of_a_thousand_is_accepted_and_the_limit_is_an_option()
    {
        using var strip = new Image<Rgb24>(3000, 3);
        var png = RgbImages.Encode(strip, new PngEncoder());
        Assert.Equal(3000, ImageDecoder.Decode(png).Image.Width);
        Rejects(png, new ImageDecodeOptions { MaxAspectRatio = 999 });
    }

    /// <summary>Inserts a chunk right after IHDR (signature 8 + IHDR 25 bytes).</summary>
    private static byte[] InsertChunk(byte[] png, string type, byte[] data)
    {
        var chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(chunk, (uint)data.Length);
        System.Text.Encoding.ASCII.GetBytes(type).CopyTo(chunk, 4);
        data.CopyTo(chunk, 8);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), Crc32(chunk.AsSpan(4, 4 + data.Length)));
        return [.. png[..33], .. chunk, .. png[33..]];
    }

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }
}
