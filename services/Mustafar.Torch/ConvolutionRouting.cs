using System.Collections.Concurrent;
using TorchSharp;
using static TorchSharp.torch;

namespace Mustafar.Torch;

/// <summary>How a 2-D convolution is handed to libtorch.</summary>
public enum ConvolutionRoute
{
    /// <summary>As given: contiguous NCHW input and weight.</summary>
    Direct,

    /// <summary>Input and weight with channels-last strides (NHWC memory, NCHW shape), the output made contiguous
    /// again. libtorch reads the strides and picks oneDNN's NHWC kernel; the numbers are the same convolution.</summary>
    ChannelsLast,
}

/// <summary>One class of convolutions that share a route: where it runs, in what dtype, with how many input
/// channels per group and how many kernel elements (9 for 3x3).</summary>
public readonly record struct ConvolutionShape(DeviceType Device, ScalarType DType, long InChannelsPerGroup, long KernelElements);

/// <summary>
/// Chooses the <see cref="ConvolutionRoute"/> of every convolution in the model code (all of it goes through
/// <c>Mustafar.Models.Common.RoutedConv2d</c>).
/// <para>Why: libtorch 2.10 (oneDNN 3.7) computes float32 convolutions with a spatial kernel wrongly on some AVX-512
/// CPUs (seen on an AMD EPYC of family 26) when the input has more than 16 channels and the count is not a multiple
/// of 16: off by 0.4-1.3 on unit-scale data, and reading uninitialised memory, so NaN at times. It happens only when
/// libtorch hands the call to oneDNN (batch above 1, or large inputs). The same convolution with channels-last
/// input takes another oneDNN kernel and is right. So on the CPU those shapes take the channels-last route by
/// default, on every machine (the defect is intermittent, so a start-up check alone could miss it), and every other
/// shape stays direct, unchanged and no slower. <c>tests/Mustafar.Benchmarks</c> (<c>conv-routes</c>) measures what
/// each route costs. The start-up kernel self-check of each model service can route further shapes here when it
/// finds the direct route wrong for them on the machine it runs on.</para>
/// </summary>
public static class ConvolutionRouting
{
    /// <summary>oneDNN's block of input channels; counts that fill whole blocks take the correct kernels.</summary>
    private const long ChannelBlock = 16;

    private static readonly ConcurrentDictionary<ConvolutionShape, ConvolutionRoute> Chosen = new();

    /// <summary>The route for a convolution of this shape: one chosen at run time, or else the default.</summary>
    public static ConvolutionRoute For(ConvolutionShape shape) => Chosen.TryGetValue(shape, out var route) ? route : Default(shape);

    /// <summary>The route a shape takes unless the self-check chose another: channels-last for the class of CPU
    /// convolutions that the oneDNN defect hits, direct for everything else.</summary>
    public static ConvolutionRoute Default(ConvolutionShape shape) =>
        shape.Device == DeviceType.CPU && shape.KernelElements > 1 && shape.InChannelsPerGroup > ChannelBlock &&
        shape.InChannelsPerGroup % ChannelBlock != 0
            ? ConvolutionRoute.ChannelsLast
            : ConvolutionRoute.Direct;

    /// <summary>Routes every convolution of <paramref name="shape"/> from now on, in this process.</summary>
    public static void Choose(ConvolutionShape shape, ConvolutionRoute route) => Chosen[shape] = route;

    /// <summary>The routes chosen at run time (not the defaults), for reports.</summary>
    public static IReadOnlyDictionary<ConvolutionShape, ConvolutionRoute> ChosenRoutes => Chosen;
}
