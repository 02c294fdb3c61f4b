using System.IO.Compression;
using Mustafar.Testing;

namespace Mustafar.Gateway.TestServers;

/// <summary>Small real PNG images (8-bit RGB, valid CRCs and zlib stream), different for every seed, so that
/// real encoders can decode them too.</summary>
public static class TestImages
{
    public static byte[] Png(int width, int height, int seed)
    {
        var raw = new byte[height * (1 + width * 3)];
        var random = new Random(seed);
        for (var y = 0; y < height; y++)
        {
            var row = y * (1 + width * 3);
            raw[row] = 0; // filter: none
            random.NextBytes(raw.AsSpan(row + 1, width * 3));
        }
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true)) zlib.Write(raw);

        return PngWriter.Rgb(width, height, compressed.ToArray());
    }

    /// <summary>A distinct image per call, for tests that need a cache miss.</summary>
    public static byte[] Unique() => Png(8, 6, Random.Shared.Next());

    public static string DataUrl(byte[] png) => "data:image/png;base64," + Convert.ToBase64String(png);
}
