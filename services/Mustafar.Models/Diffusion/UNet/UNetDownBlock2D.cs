using Mustafar.Models.Diffusion.Blocks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mustafar.Models.Diffusion.UNet;

/// <summary>diffusers' CrossAttnDownBlock2D (resnet then Transformer2DModel per layer) or, without attentions,
/// DownBlock2D; then a stride-2 Downsample2D except in the last block. Every layer's output and the
/// downsampled map are kept as skip connections for the up path.</summary>
internal sealed class UNetDownBlock2D : nn.Module
{
    private readonly ModuleList<ResnetBlock2D> resnets;
    private readonly ModuleList<Transformer2DModel> attentions;
    private readonly ModuleList<Downsample2D> downsamplers;
    private readonly string _path;

    public UNetDownBlock2D(int index, long inChannels, UNet2DConditionConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(UNetDownBlock2D))
    {
        _path = $"down_blocks.{index}";
        long outChannels = config.BlockOutChannels[index];
        var hasAttention = config.DownBlockTypes[index] == UNet2DConditionConfig.CrossAttnDown;
        resnets = new ModuleList<ResnetBlock2D>();
        attentions = new ModuleList<Transformer2DModel>();
        for (var j = 0; j < config.LayersPerBlock[index]; j++)
        {
            resnets.Add(new ResnetBlock2D(j == 0 ? inChannels : outChannels, outChannels, config.TimeEmbedDim,
                config.NormNumGroups, config.NormEps, config.ActFn, device: device, dtype: dtype));
            if (hasAttention)
                attentions.Add(new Transformer2DModel($"{_path}.attentions.{j}", outChannels, config.NumAttentionHeads[index],
                    config.TransformerLayersPerBlock[index], config.CrossAttentionDim[index], config, device: device, dtype: dtype));
        }
        downsamplers = new ModuleList<Downsample2D>();
        if (index < config.BlockCount - 1) downsamplers.Add(new Downsample2D(outChannels, config.DownsamplePadding, device: device, dtype: dtype));
        RegisterComponents();
    }

    /// <returns>The block output and its skip connections, in the caller's dispose scope.</returns>
    public (Tensor Hidden, List<Tensor> Skips) Run(Tensor hidden, Tensor timeEmbedding, Tensor context, UNetTapRecorder taps)
    {
        using var scope = NewDisposeScope();
        var skips = new List<Tensor>();
        (Tensor, List<Tensor>) Out(Tensor h)
        {
            scope.MoveToOuter(skips.Append(h).Distinct());
            return (h, skips);
        }
        for (var j = 0; j < resnets.Count; j++)
        {
            hidden = resnets[j].forward(hidden, timeEmbedding);
            taps.Record($"{_path}.resnets.{j}", hidden);
            if (taps.IsComplete) return Out(hidden);
            if (attentions.Count > 0)
            {
                hidden = attentions[j].Run(hidden, context, taps);
                if (taps.IsComplete) return Out(hidden);
            }
            skips.Add(hidden);
        }
        foreach (var downsampler in downsamplers)
        {
            hidden = downsampler.forward(hidden);
            skips.Add(hidden);
        }
        taps.Record(_path, hidden);
        return Out(hidden);
    }
}
