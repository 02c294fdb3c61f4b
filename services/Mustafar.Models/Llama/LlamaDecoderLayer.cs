using Mustafar.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Mustafar.Models.Llama;

/// <summary>transformers' LlamaDecoderLayer (pre-norm): x + attn(norm(x)), then x + mlp(norm(x)).</summary>
internal sealed class LlamaDecoderLayer : nn.Module<Tensor, LlamaForwardContext, Tensor>
{
    private readonly LlamaAttention self_attn;
    private readonly LlamaMlp mlp;
    private readonly LlamaRmsNorm input_layernorm;
    private readonly LlamaRmsNorm post_attention_layernorm;

    public LlamaDecoderLayer(LlamaConfig config, int layer, Device? device = null, ScalarType? dtype = null) : base(nameof(LlamaDecoderLayer))
    {
        self_attn = new LlamaAttention(config, layer, device, dtype);
        mlp = new LlamaMlp(config, device, dtype);
        input_layernorm = new LlamaRmsNorm(config.HiddenSize, config.RmsNormEps, device, dtype);
        post_attention_layernorm = new LlamaRmsNorm(config.HiddenSize, config.RmsNormEps, device, dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, LlamaForwardContext context)
    {
        using var scope = NewDisposeScope();
        var afterAttention = hidden.Add(self_attn.forward(input_layernorm.forward(hidden), context));
        return afterAttention.Add(mlp.forward(post_attention_layernorm.forward(afterAttention))).MoveToOuterDisposeScope();
    }
}
