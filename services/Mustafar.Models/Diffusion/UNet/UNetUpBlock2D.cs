using Mustafar.Models.Diffusion.Blocks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mustafar.Models.Diffusion.UNet;

/// <summary>diffusers' CrossAttnUpBlock2D or, without attentions, UpBlock2D: before every resnet the last skip
/// connection is concatenated on the channel axis; then an Upsample2D except in the last block.</summary>
internal sealed class UNetUpBlock2D : nn.Module
{
    private readonly ModuleList<ResnetBlock2D> resnets;
    private readonly ModuleList<Transformer2DModel> attentions;
    private readonly ModuleList<Upsample2D> upsamplers;
    private readonly string _path;

    public int ResnetCount => resnets.Count;

    public UNetUpBlock2D(int index, UNet2DConditionConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(UNetUpBlock2D))
    {
        _path = $"up_blocks.{index}";
        var n = config.BlockCount;
        var reversed = config.BlockOutChannels.Reverse().ToArray();
        long outChannels = reversed[index];
        long prevOutChannels = reversed[Math.Max(index - 1, 0)];
        long inChannels = reversed[Math.Min(index + 1, n - 1)];
        var reversedIndex = n - 1 - index;
        var layers = config.LayersPerBlock[reversedIndex] + 1;
        var hasAttention = config.UpBlockTypes[index] == UNet2DConditionConfig.CrossAttnUp;
        resnets = new ModuleList<ResnetBlock2D>();
        attentions = new ModuleList<Transformer2DModel>();
        for (var j = 0; j < layers; j++)
        {
            var skipChannels = j == layers - 1 ? inChannels : outChannels;
            var resnetIn = j == 0 ? prevOutChannels : outChannels;
            resnets.Add(new ResnetBlock2D(resnetIn + skipChannels, outChannels, config.TimeEmbedDim,
                config.NormNumGroups, config.NormEps, config.ActFn, device: device, dtype: dtype));
            if (hasAttention)
                attentions.Add(new Transformer2DModel($"{_path}.attentions.{j}", outChannels, config.NumAttentionHeads[reversedIndex],
                    config.TransformerLayersPerBlock[reversedIndex], config.CrossAttentionDim[reversedIndex], config, device: device, dtype: dtype));
        }
        upsamplers = new ModuleList<Upsample2D>();
        if (index < n - 1) upsamplers.Add(new Upsample2D(outChannels, device: device, dtype: dtype));
        RegisterComponents();
    }

    /// <param name="skips">This block's skip connections, in the order the down path produced them.</param>
    /// <param name="upsampleSize">The spatial size of the next skip connection (the level above).</param>
    public Tensor Run(Tensor hidden, IReadOnlyList<Tensor> skips, Tensor timeEmbedding, Tensor context, long[]? upsampleSize, UNetTapRecorder taps)
    {
        using var scope = NewDisposeScope();
        for (var j = 0; j < resnets.Count; j++)
        {
            hidden = resnets[j].forward(cat([hidden, skips[skips.Count - 1 - j]], 1), timeEmbedding);
            taps.Record($"{_path}.resnets.{j}", hidden);
            if (taps.IsComplete) return hidden.MoveToOuterDisposeScope();
            if (attentions.Count > 0)
            {
                hidden = attentions[j].Run(hidden, context, taps);
                if (taps.IsComplete) return hidden.MoveToOuterDisposeScope();
            }
        }
        foreach (var upsampler in upsamplers) hidden = upsampler.forward(hidden, upsampleSize);
        taps.Record(_path, hidden);
        return hidden.MoveToOuterDisposeScope();
    }
}
