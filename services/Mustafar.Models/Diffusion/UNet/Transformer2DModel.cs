using Mustafar.Models.Common;
using Mustafar.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mustafar.Models.Diffusion.UNet;

/// <summary>diffusers' Transformer2DModel on a continuous map: GroupNorm (eps 1e-6), proj_in (Linear after the
/// reshape to tokens with use_linear_projection, as SD 2.x; 1x1 conv before it otherwise, as SD 1.x), the
/// transformer blocks, proj_out, back to a map, plus the input. Its output is the "-Attn-Out" tap.</summary>
internal sealed class Transformer2DModel : nn.Module
{
    private readonly GroupNorm norm;
    private readonly nn.Module<Tensor, Tensor> proj_in;
    private readonly ModuleList<BasicTransformerBlock> transformer_blocks;
    private readonly nn.Module<Tensor, Tensor> proj_out;
    private readonly bool _linear;
    private readonly string _path;

    public Transformer2DModel(string path, long channels, long heads, int layers, long crossAttentionDim, UNet2DConditionConfig config, Device? device = null, ScalarType? dtype = null)
        : base(nameof(Transformer2DModel))
    {
        var headDim = channels / heads;
        var inner = heads * headDim;
        _linear = config.UseLinearProjection;
        norm = nn.GroupNorm(config.NormNumGroups, channels, UNet2DConditionConfig.TransformerGroupNormEps, device: device, dtype: dtype);
        proj_in = _linear ? nn.Linear(channels, inner, device: device, dtype: dtype) : new RoutedConv2d(channels, inner, 1, device: device, dtype: dtype);
        transformer_blocks = new ModuleList<BasicTransformerBlock>();
        for (var k = 0; k < layers; k++)
            transformer_blocks.Add(new BasicTransformerBlock($"{path}.transformer_blocks.{k}", inner, heads, headDim,
                crossAttentionDim, config.UpcastAttention, device: device, dtype: dtype));
        proj_out = _linear ? nn.Linear(inner, channels, device: device, dtype: dtype) : new RoutedConv2d(inner, channels, 1, device: device, dtype: dtype);
        _path = path;
        RegisterComponents();
    }

    public Tensor Run(Tensor input, Tensor context, UNetTapRecorder taps)
    {
        using var scope = NewDisposeScope();
        var (batch, channels, height, width) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3]);
        var hidden = norm.forward(input);
        if (!_linear) hidden = proj_in.forward(hidden);
        var inner = hidden.shape[1];
        hidden = hidden.permute(0, 2, 3, 1).reshape(batch, height * width, inner);
        if (_linear) hidden = proj_in.forward(hidden);
        foreach (var block in transformer_blocks)
        {
            hidden = block.Run(hidden, context, taps, height, width);
            if (taps.IsComplete) return hidden.MoveToOuterDisposeScope();
        }
        if (_linear) hidden = proj_out.forward(hidden);
        hidden = hidden.reshape(batch, height, width, hidden.shape[2]).permute(0, 3, 1, 2).contiguous();
        if (!_linear) hidden = proj_out.forward(hidden);
        var output = hidden.Add(input);
        taps.Record(_path, output);
        return output.MoveToOuterDisposeScope();
    }
}
