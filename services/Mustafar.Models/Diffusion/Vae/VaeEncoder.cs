using Mustafar.Models.Common;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mustafar.Models.Diffusion.Vae;

/// <summary>diffusers' Encoder (double_z): conv_in, the down blocks, the mid block, GroupNorm, act and conv_out to
/// 2 * latent_channels (mean and log-variance).</summary>
internal sealed class VaeEncoder : nn.Module<Tensor, Tensor>
{
    private readonly RoutedConv2d conv_in;
    private readonly ModuleList<DownEncoderBlock2D> down_blocks;
    private readonly VaeMidBlock2D mid_block;
    private readonly GroupNorm conv_norm_out;
    private readonly RoutedConv2d conv_out;
    private readonly Func<Tensor, Tensor> _activation;

    public VaeEncoder(AutoencoderKLConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(VaeEncoder))
    {
        var channels = config.BlockOutChannels;
        conv_in = new RoutedConv2d(config.InChannels, channels[0], 3, padding: 1, device: device, dtype: dtype);
        down_blocks = new ModuleList<DownEncoderBlock2D>();
        for (var i = 0; i < channels.Length; i++)
            down_blocks.Add(new DownEncoderBlock2D(i == 0 ? channels[0] : channels[i - 1], channels[i],
                config.LayersPerBlock, addDownsample: i < channels.Length - 1, config, device: device, dtype: dtype));
        mid_block = new VaeMidBlock2D(channels[^1], config, device: device, dtype: dtype);
        conv_norm_out = nn.GroupNorm(config.NormNumGroups, channels[^1], AutoencoderKLConfig.NormEps, device: device, dtype: dtype);
        conv_out = new RoutedConv2d(channels[^1], 2 * config.LatentChannels, 3, padding: 1, device: device, dtype: dtype);
        _activation = Activations.Get(config.ActFn);
        RegisterComponents();
    }

    public override Tensor forward(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        var hidden = conv_in.forward(pixels);
        foreach (var block in down_blocks) hidden = block.forward(hidden);
        hidden = mid_block.forward(hidden);
        return conv_out.forward(_activation(conv_norm_out.forward(hidden))).MoveToOuterDisposeScope();
    }
}
