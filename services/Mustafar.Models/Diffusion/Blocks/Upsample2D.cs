using Mustafar.Models.Common;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mustafar.Models.Diffusion.Blocks;

/// <summary>diffusers' Upsample2D with a conv: nearest-neighbour x2 (or to the skip connection's size when the
/// latent is not a multiple of the U-Net's overall factor), then a 3x3 conv.</summary>
internal sealed class Upsample2D : nn.Module<Tensor, long[]?, Tensor>
{
    private readonly RoutedConv2d conv;

    public Upsample2D(long channels, Device? device = null, ScalarType? dtype = null) : base(nameof(Upsample2D))
    {
        conv = new RoutedConv2d(channels, channels, 3, padding: 1, device: device, dtype: dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input, long[]? outputSize)
    {
        using var scope = NewDisposeScope();
        // Nearest upsampling has no bfloat16 kernel on some backends; diffusers runs it in float32 too.
        var source = input.dtype == bfloat16 ? input.to(float32) : input;
        var upsampled = outputSize is null
            ? nn.functional.interpolate(source, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest)
            : nn.functional.interpolate(source, size: outputSize, mode: InterpolationMode.Nearest);
        return conv.forward(upsampled.to(input.dtype)).MoveToOuterDisposeScope();
    }
}
