using Mustafar.Models.Diffusion.Blocks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mustafar.Models.Diffusion.Vae;

/// <summary>diffusers' UNetMidBlock2D as the VAE encoder builds it: resnet, single-head attention (when
/// mid_block_add_attention), resnet; no time embedding, eps 1e-6.</summary>
internal sealed class VaeMidBlock2D : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<ResnetBlock2D> resnets;
    private readonly ModuleList<VaeAttention> attentions;

    public VaeMidBlock2D(long channels, AutoencoderKLConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(VaeMidBlock2D))
    {
        ResnetBlock2D Resnet() => new(channels, channels, null, config.NormNumGroups, AutoencoderKLConfig.NormEps, config.ActFn,
            device: device, dtype: dtype);
        resnets = new ModuleList<ResnetBlock2D>(Resnet(), Resnet());
        attentions = new ModuleList<VaeAttention>();
        if (config.MidBlockAddAttention)
            attentions.Add(new VaeAttention(channels, config.NormNumGroups, AutoencoderKLConfig.NormEps, headDim: channels, device: device, dtype: dtype));
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var hidden = resnets[0].forward(input, null);
        foreach (var attention in attentions) hidden = attention.forward(hidden);
        return resnets[1].forward(hidden, null).MoveToOuterDisposeScope();
    }
}
