using System.Diagnostics;
using System.Globalization;

namespace Mustafar.Benchmarks.RealSize;

/// <summary>
/// The physical floor of a mesh that moves tensors: one copy of a real-size request's features (CLIP ViT-L/14-336's
/// 576 x 1024 and the two diffusion halves at the paper's tap, 2 x 256 x 1280, float32) from one buffer to another.
/// </summary>
public sealed record RealSizeFeatureCopy(long Bytes, Timing Copy)
{
    public const long FeatureFloats = 576L * 1024 + 2L * 256 * 1280;
    private const int Runs = 200;

    public static RealSizeFeatureCopy Measure()
    {
        var bytes = FeatureFloats * sizeof(float);
        var source = new byte[bytes];
        new Random(1).NextBytes(source);
        var target = new byte[bytes];
        for (var i = 0; i < 10; i++) source.AsSpan().CopyTo(target);
        var samples = new List<double>(Runs);
        for (var i = 0; i < Runs; i++)
        {
            var watch = Stopwatch.StartNew();
            source.AsSpan().CopyTo(target);
            samples.Add(watch.Elapsed.TotalMilliseconds);
        }
        return new RealSizeFeatureCopy(bytes, Benchmarks.Measure.Summarize("memcpy of a real-size request's features", samples));
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"memcpy floor: {Bytes / 1e6:F2} MB (576x1024 + 2 x 256x1280 fp32) copied once: median {Copy.MedianMs:F3} ms, min {Copy.MinMs:F3} ms (n={Copy.Runs})");
}
