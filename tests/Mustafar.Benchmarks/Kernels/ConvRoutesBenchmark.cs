using System.Globalization;
using Mustafar.Models.Common;
using Mustafar.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Mustafar.Benchmarks.Kernels;

/// <summary>
/// What routing convolutions around the libtorch defect costs (Mustafar.Torch.ConvolutionRouting): for each 3x3
/// shape, the direct route against channels-last and against zero-padding the input channels to a multiple of 16
/// (the other workaround the defect admits), interleaved in pairs. The affected shapes (in channels 17..79 off the
/// block of 16) take channels-last; the unaffected ones (multiples of 16, SD 2.1's 320..1280) stay direct, so their
/// cost is unchanged by construction; they are listed to show what either workaround would have cost them.
/// The third workaround, ONEDNN_MAX_CPU_ISA=SSE41, is process-wide: run this benchmark again under it to compare.
/// </summary>
public sealed class ConvRoutesBenchmark : IBenchmark
{
    public string Name => "conv-routes";

    public string Description => "cost of the convolution routes (direct, channels-last, zero-padded channels) at affected and unaffected shapes";

    public Task RunAsync(string[] args)
    {
        var rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 9;
        using var _ = no_grad();
        Console.WriteLine($"threads {get_num_threads()}, ONEDNN_MAX_CPU_ISA={Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA") ?? "(unset)"}; " +
                          $"ratios are route / direct: median of {rounds} interleaved pairs (min .. max)");
        (long Batch, long Channels, long Side)[] shapes =
        [
            (2, 24, 8), (2, 24, 32), (2, 24, 64), (2, 40, 16), (2, 40, 32), (1, 24, 256), // affected: channels-last by default
            (2, 32, 32), (2, 64, 32), (2, 320, 32), (2, 640, 16), (2, 1280, 8), (1, 128, 256), // unaffected: direct
        ];
        foreach (var (batch, channels, side) in shapes)
        {
            using var scope = NewDisposeScope();
            manual_seed(channels);
            using var conv = new RoutedConv2d(channels, channels, 3, padding: 1);
            var input = randn(batch, channels, side, side);
            var padded = (channels + 15) / 16 * 16;
            using var paddedConv = new RoutedConv2d(padded, channels, 3, padding: 1);
            var taken = ConvolutionRouting.For(conv.Shape(DeviceType.CPU, ScalarType.Float32));
            // Enough repetitions per sample that one sample takes a few milliseconds at least.
            var repeat = (int)Math.Clamp(4e7 / (batch * channels * channels * 9.0 * side * side), 1, 200);
            Action Times(Func<Tensor> run) => () =>
            {
                for (var i = 0; i < repeat; i++)
                {
                    using var inner = NewDisposeScope();
                    run();
                }
            };
            var direct = ("direct", Times(() => conv.Forward(input, ConvolutionRoute.Direct)));
            var channelsLast = ("channels-last", Times(() => conv.Forward(input, ConvolutionRoute.ChannelsLast)));
            var zeroPadded = ("zero-padded", Times(() => paddedConv.Forward(nn.functional.pad(input, [0, 0, 0, 0, 0, padded - channels]), ConvolutionRoute.Direct)));
            var cl = Measure.InterleavedRatio(2, rounds, channelsLast, direct);
            var pad = padded == channels ? null : Measure.InterleavedRatio(2, rounds, zeroPadded, direct);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"conv3x3 [{batch},{channels},{side},{side}]  takes {(taken == ConvolutionRoute.Direct ? "direct" : "channels-last"),-13} " +
                $"direct {cl.Denominator.MedianMs / repeat,9:F3} ms   channels-last/direct {cl.Median,6:F2} ({cl.Min:F2}..{cl.Max:F2})   " +
                $"zero-padded/direct {(pad is null ? "   n/a (already a multiple of 16)" : $"{pad.Median,6:F2} ({pad.Min:F2}..{pad.Max:F2})")}"));
        }
        return Task.CompletedTask;
    }
}
