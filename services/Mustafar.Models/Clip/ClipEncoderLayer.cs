using Mustafar.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mustafar.Models.Clip;

/// <summary>transformers' CLIPEncoderLayer (pre-norm): x + attn(ln1(x)), then x + mlp(ln2(x)).</summary>
internal sealed class ClipEncoderLayer : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly ClipAttention self_attn;
    private readonly LayerNorm layer_norm1;
    private readonly ClipMlp mlp;
    private readonly LayerNorm layer_norm2;

    public ClipEncoderLayer(ClipEncoderConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(ClipEncoderLayer))
    {
        self_attn = new ClipAttention(config, device: device, dtype: dtype);
        layer_norm1 = nn.LayerNorm(config.HiddenSize, config.LayerNormEps, device: device, dtype: dtype);
        mlp = new ClipMlp(config, device: device, dtype: dtype);
        layer_norm2 = nn.LayerNorm(config.HiddenSize, config.LayerNormEps, device: device, dtype: dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        var afterAttention = hidden.Add(self_attn.forward(layer_norm1.forward(hidden), mask));
        return afterAttention.Add(mlp.forward(layer_norm2.forward(afterAttention))).MoveToOuterDisposeScope();
    }
}
