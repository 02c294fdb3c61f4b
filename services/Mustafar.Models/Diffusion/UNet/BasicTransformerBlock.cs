using Mustafar.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mustafar.Models.Diffusion.UNet;

/// <summary>diffusers' BasicTransformerBlock (layer_norm, default attention): x += attn1(norm1 x) (self),
/// x += attn2(norm2 x, text) (cross), x += ff(norm3 x). Its output is the "-B k-Out" tap.</summary>
internal sealed class BasicTransformerBlock : nn.Module
{
    private readonly LayerNorm norm1;
    private readonly UNetAttention attn1;
    private readonly LayerNorm norm2;
    private readonly UNetAttention attn2;
    private readonly LayerNorm norm3;
    private readonly GegluFeedForward ff;
    private readonly string _path;

    public BasicTransformerBlock(string path, long dim, long heads, long headDim, long crossAttentionDim, bool upcast, Device? device = null, ScalarType? dtype = null)
        : base(nameof(BasicTransformerBlock))
    {
        norm1 = nn.LayerNorm(dim, UNet2DConditionConfig.TransformerLayerNormEps, device: device, dtype: dtype);
        attn1 = new UNetAttention(path + ".attn1", dim, dim, heads, headDim, upcast, device: device, dtype: dtype);
        norm2 = nn.LayerNorm(dim, UNet2DConditionConfig.TransformerLayerNormEps, device: device, dtype: dtype);
        attn2 = new UNetAttention(path + ".attn2", dim, crossAttentionDim, heads, headDim, upcast, device: device, dtype: dtype);
        norm3 = nn.LayerNorm(dim, UNet2DConditionConfig.TransformerLayerNormEps, device: device, dtype: dtype);
        ff = new GegluFeedForward(dim, device: device, dtype: dtype);
        _path = path;
        RegisterComponents();
    }

    /// <param name="hidden">[batch, h*w, dim]</param>
    public Tensor Run(Tensor hidden, Tensor context, UNetTapRecorder taps, long height, long width)
    {
        using var scope = NewDisposeScope();
        var self = attn1.Run(norm1.forward(hidden), null, taps, height, width);
        if (taps.IsComplete) return self.MoveToOuterDisposeScope();
        hidden = self.Add(hidden);
        var cross = attn2.Run(norm2.forward(hidden), context, taps, height, width);
        if (taps.IsComplete) return cross.MoveToOuterDisposeScope();
        hidden = cross.Add(hidden);
        hidden = ff.forward(norm3.forward(hidden)).Add(hidden);
        taps.Record(_path, hidden, height, width);
        return hidden.MoveToOuterDisposeScope();
    }
}
