using Mustafar.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mustafar.Models.Common;

/// <summary>
/// torch.nn.Conv2d (zero padding) whose forward takes the <see cref="ConvolutionRoute"/> that
/// <see cref="ConvolutionRouting"/> chooses for its shape, so that no convolution in the model code can meet the
/// libtorch kernel defect that routing avoids. Every convolution of the model code is one of these: a guard test
/// scans the compiled model code for any other call into libtorch's convolutions. Parameters, their names
/// (<c>weight</c>, <c>bias</c>: the state-dict keys) and their initialisation are nn.Conv2d's.
/// </summary>
internal sealed class RoutedConv2d : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter? bias;
    private readonly long[] _stride;
    private readonly long[] _padding;

    public RoutedConv2d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0, bool bias = true, Device? device = null, ScalarType? dtype = null)
        : base("Conv2d")
    {
        // nn.Conv2d's own initialisation, so that seeded tiny checkpoints keep their weights.
        using var template = nn.Conv2d(inChannels, outChannels, kernelSize, stride: stride, padding: padding, bias: bias,
            device: device, dtype: dtype);
        weight = new Parameter(template.weight!.detach().clone());
        if (bias) this.bias = new Parameter(template.bias!.detach().clone());
        _stride = [stride, stride];
        _padding = [padding, padding];
        InChannels = inChannels;
        KernelSize = kernelSize;
        RegisterComponents();
    }

    public long InChannels { get; }

    /// <summary>[out, in, k, k]</summary>
    public Tensor Weight => weight;

    public Tensor? Bias => bias;

        public long KernelSize { get; }

    public long Stride => _stride[0];

    public long Padding => _padding[0];

    /// <summary>The shape class that decides this convolution's route for an input of <paramref name="dtype"/>
    /// on <paramref name="device"/>.</summary>
    public ConvolutionShape Shape(DeviceType device, ScalarType dtype) => new(device, dtype, InChannels, KernelSize * KernelSize);

    /// <param name="input">[batch, in, h, w]</param>
    public override Tensor forward(Tensor input) => Forward(input, ConvolutionRouting.For(Shape(input.device_type, input.dtype)));

    /// <summary>The convolution by a given route: the kernel self-check compares the routes with float64.</summary>
    public Tensor Forward(Tensor input, ConvolutionRoute route) => Convolve(input, weight, bias, route);

    /// <summary>The convolution of <paramref name="input"/> with any weight of this layer's geometry (the self-check
    /// passes a slice of the output channels) by <paramref name="route"/>.</summary>
    public Tensor Convolve(Tensor input, Tensor convWeight, Tensor? convBias, ConvolutionRoute route)
    {
        if (route == ConvolutionRoute.Direct || input.dim() != 4)
            return nn.functional.conv2d(input, convWeight, convBias, _stride, _padding);
        using var scope = NewDisposeScope();
        return nn.functional.conv2d(ChannelsLast(input), ChannelsLast(convWeight), convBias, _stride, _padding)
            .contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>The same NCHW tensor with NHWC memory (TorchSharp 0.107 has no memory_format argument).</summary>
    private static Tensor ChannelsLast(Tensor nchw) => nchw.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
}
