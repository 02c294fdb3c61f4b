using Mustafar.Models.Diffusion.Blocks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mustafar.Models.Diffusion.UNet;

/// <summary>diffusers' UNetMidBlock2DCrossAttn with one attention: resnet, Transformer2DModel, resnet, at the
/// deepest level (resnets use mid_block_scale_factor as output scale).</summary>
internal sealed class UNetMidBlock2DCrossAttn : nn.Module
{
    private const string Path = "mid_block";

    private readonly ModuleList<ResnetBlock2D> resnets;
    private readonly ModuleList<Transformer2DModel> attentions;

    public UNetMidBlock2DCrossAttn(UNet2DConditionConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(UNetMidBlock2DCrossAttn))
    {
        long channels = config.BlockOutChannels[^1];
        ResnetBlock2D Resnet() => new(channels, channels, config.TimeEmbedDim, config.NormNumGroups, config.NormEps,
            config.ActFn, config.MidBlockScaleFactor, device: device, dtype: dtype);
        resnets = new ModuleList<ResnetBlock2D>(Resnet(), Resnet());
        attentions = new ModuleList<Transformer2DModel>(new Transformer2DModel($"{Path}.attentions.0", channels,
            config.NumAttentionHeads[^1], config.TransformerLayersPerBlock[^1], config.CrossAttentionDim[^1], config, device: device, dtype: dtype));
        RegisterComponents();
    }

    public Tensor Run(Tensor hidden, Tensor timeEmbedding, Tensor context, UNetTapRecorder taps)
    {
        using var scope = NewDisposeScope();
        hidden = resnets[0].forward(hidden, timeEmbedding);
        taps.Record($"{Path}.resnets.0", hidden);
        for (var j = 0; j < attentions.Count && !taps.IsComplete; j++)
        {
            hidden = attentions[j].Run(hidden, context, taps);
            if (taps.IsComplete) break;
            hidden = resnets[j + 1].forward(hidden, timeEmbedding);
            taps.Record($"{Path}.resnets.{j + 1}", hidden);
        }
        if (!taps.IsComplete) taps.Record(Path, hidden);
        return hidden.MoveToOuterDisposeScope();
    }
}
