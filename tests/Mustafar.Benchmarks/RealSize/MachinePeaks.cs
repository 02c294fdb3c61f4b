using System.Diagnostics;
using System.Globalization;
using static TorchSharp.torch;

namespace Mustafar.Benchmarks.RealSize;

/// <summary>This machine's measured limits, the roofline the real-size figures are read against: the best GFLOP/s
/// of a large square matmul in float32 and bfloat16, and memory bandwidth as bytes read per second by a sum over a
/// tensor far larger than the caches (and, for comparison, a copy: bytes read plus written per second).</summary>
public sealed record MachinePeaks(double Float32Gflops, double Bfloat16Gflops, double ReadGBps, double CopyGBps, int Runs)
{
    private const int MatmulSize = 2048;
    private const long BandwidthBytes = 1L << 30;

    /// <summary>The matmul peak of <paramref name="dtype"/> (float32 or bfloat16), in GFLOP/s.</summary>
    public double Gflops(ScalarType dtype) => dtype == ScalarType.BFloat16 ? Bfloat16Gflops : Float32Gflops;

    /// <summary>Best of <paramref name="runs"/> after one untimed run each, in the calling thread's torch threads.</summary>
    public static MachinePeaks Measure(int runs)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        double MatmulGflops(ScalarType dtype)
        {
            var a = randn([MatmulSize, MatmulSize]).to(dtype);
            var b = randn([MatmulSize, MatmulSize]).to(dtype);
            var seconds = Best(runs, () => mm(a, b).Dispose());
            return 2.0 * MatmulSize * MatmulSize * MatmulSize / seconds / 1e9;
        }
        var float32 = MatmulGflops(ScalarType.Float32);
        var bfloat16 = MatmulGflops(ScalarType.BFloat16);
        var source = ones(BandwidthBytes / sizeof(float));
        var target = empty_like(source);
        var read = BandwidthBytes / Best(runs, () => source.sum().Dispose()) / 1e9;
        var copy = 2.0 * BandwidthBytes / Best(runs, () => target.copy_(source)) / 1e9;
        return new MachinePeaks(float32, bfloat16, read, copy, runs);
    }

    private static double Best(int runs, Action run)
    {
        run();
        var best = double.MaxValue;
        for (var i = 0; i < runs; i++)
        {
            var watch = Stopwatch.StartNew();
            run();
            best = Math.Min(best, watch.Elapsed.TotalSeconds);
        }
        return best;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"machine peaks ({get_num_threads()} torch threads, best of {Runs}): matmul {MatmulSize}^3 float32 {Float32Gflops:F1} GFLOP/s, bfloat16 {Bfloat16Gflops:F1} GFLOP/s; " +
        $"memory: sum over 1 GiB {ReadGBps:F1} GB/s read, copy of 1 GiB {CopyGBps:F1} GB/s read+written");
}
