using Mustafar.Models.Common;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mustafar.Models.Diffusion.Blocks;

/// <summary>diffusers' Downsample2D with a conv: a stride-2 3x3 conv. With padding 0 (the VAE) the input is first
/// padded asymmetrically, one zero column on the right and one row at the bottom, as diffusers does.</summary>
internal sealed class Downsample2D : nn.Module<Tensor, Tensor>
{
    private readonly RoutedConv2d conv;
    private readonly long _padding;

    public Downsample2D(long channels, long padding, Device? device = null, ScalarType? dtype = null) : base(nameof(Downsample2D))
    {
        conv = new RoutedConv2d(channels, channels, 3, stride: 2, padding: padding, device: device, dtype: dtype);
        _padding = padding;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var padded = _padding == 0 ? nn.functional.pad(input, [0, 1, 0, 1]) : input;
        return conv.forward(padded).MoveToOuterDisposeScope();
    }
}
