using Mustafar.Models.Diffusion.Blocks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mustafar.Models.Diffusion.Vae;

/// <summary>diffusers' DownEncoderBlock2D: resnets without time embedding, then (except in the last block) a
/// Downsample2D with padding 0, i.e. the asymmetric (0,1,0,1) pad before the stride-2 conv.</summary>
internal sealed class DownEncoderBlock2D : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<ResnetBlock2D> resnets;
    private readonly ModuleList<Downsample2D> downsamplers;

    public DownEncoderBlock2D(long inChannels, long outChannels, int layers, bool addDownsample, AutoencoderKLConfig config, Device? device = null, ScalarType? dtype = null)
        : base(nameof(DownEncoderBlock2D))
    {
        resnets = new ModuleList<ResnetBlock2D>();
        for (var i = 0; i < layers; i++)
            resnets.Add(new ResnetBlock2D(i == 0 ? inChannels : outChannels, outChannels, null,
                config.NormNumGroups, AutoencoderKLConfig.NormEps, config.ActFn, device: device, dtype: dtype));
        downsamplers = new ModuleList<Downsample2D>();
        if (addDownsample) downsamplers.Add(new Downsample2D(outChannels, padding: 0, device: device, dtype: dtype));
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var hidden = input;
        foreach (var resnet in resnets) hidden = resnet.forward(hidden, null);
        foreach (var downsampler in downsamplers) hidden = downsampler.forward(hidden);
        return hidden.MoveToOuterDisposeScope();
    }
}
