using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Mustafar.Models.KernelChecks;

namespace Mustafar.Models.Llama;

/// <summary>
/// transformers' LlamaAttention with grouped-query attention through <c>scaled_dot_product_attention</c>.
/// Instead of repeating each KV head for its query heads (transformers' repeat_kv copies the whole cache every
/// step), the query heads that share KV head j (j*g .. j*g+g-1) are folded into the query-length axis:
/// q [b, heads, t, d] becomes [b, kv_heads, g*t, d] and attends to the unrepeated keys; the mask is laid out to match.
/// </summary>
internal sealed class LlamaAttention : nn.Module<Tensor, LlamaForwardContext, Tensor>, IAttentionHeads
{
    private readonly Linear q_proj;
    private readonly Linear k_proj;
    private readonly Linear v_proj;
    private readonly Linear o_proj;
    private readonly int _layer;
    private readonly int _heads;
    private readonly int _kvHeads;
    private readonly int _headDim;

    public LlamaAttention(LlamaConfig config, int layer, Device? device = null, ScalarType? dtype = null) : base(nameof(LlamaAttention))
    {
        _layer = layer;
        _heads = config.NumAttentionHeads;
        _kvHeads = config.NumKeyValueHeads;
        _headDim = config.HeadDim;
        q_proj = nn.Linear(config.HiddenSize, _heads * _headDim, config.AttentionBias, device, dtype);
        k_proj = nn.Linear(config.HiddenSize, _kvHeads * _headDim, config.AttentionBias, device, dtype);
        v_proj = nn.Linear(config.HiddenSize, _kvHeads * _headDim, config.AttentionBias, device, dtype);
        o_proj = nn.Linear(_heads * _headDim, config.HiddenSize, config.AttentionBias, device, dtype);
        RegisterComponents();
    }

    long IAttentionHeads.Heads => _heads;

    long IAttentionHeads.HeadDim => _headDim;

    /// <param name="hidden">[batch, tokens, hidden]</param>
    public override Tensor forward(Tensor hidden, LlamaForwardContext context)
    {
        using var scope = NewDisposeScope();
        var (batch, tokens) = (hidden.shape[0], hidden.shape[1]);
        // call, not forward: it runs forward hooks, which is how a trainer's LoRA adapters add to a projection.
        var q = q_proj.call(hidden).view(batch, tokens, _heads, _headDim).transpose(1, 2);
        var k = k_proj.call(hidden).view(batch, tokens, _kvHeads, _headDim).transpose(1, 2);
        var v = v_proj.call(hidden).view(batch, tokens, _kvHeads, _headDim).transpose(1, 2);
        q = LlamaRotaryEmbedding.Apply(q, context.Cos, context.Sin);
        k = LlamaRotaryEmbedding.Apply(k, context.Cos, context.Sin);
        if (context.Cache is { } cache) (k, v) = cache.Write(_layer, k, v);

        var groups = _heads / _kvHeads;
        var grouped = q.reshape(batch, _kvHeads, groups * tokens, _headDim);
        var attended = nn.functional.scaled_dot_product_attention(grouped, k, v, context.GroupedMask);
        var merged = attended.reshape(batch, _heads, tokens, _headDim).transpose(1, 2).reshape(batch, tokens, _heads * _headDim);
        return o_proj.call(merged).MoveToOuterDisposeScope();
    }
}
