using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Mustafar.Models.KernelChecks;

namespace Mustafar.Models.Clip;

/// <summary>transformers' CLIPAttention: multi-head self-attention with biased q/k/v/out projections.</summary>
internal sealed class ClipAttention : nn.Module<Tensor, Tensor?, Tensor>, IAttentionHeads
{
    private readonly Linear q_proj;
    private readonly Linear k_proj;
    private readonly Linear v_proj;
    private readonly Linear out_proj;
    private readonly int _heads;
    private readonly int _headDim;

    public ClipAttention(ClipEncoderConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(ClipAttention))
    {
        _heads = config.NumAttentionHeads;
        _headDim = config.HeadDim;
        q_proj = nn.Linear(config.HiddenSize, config.HiddenSize, device: device, dtype: dtype);
        k_proj = nn.Linear(config.HiddenSize, config.HiddenSize, device: device, dtype: dtype);
        v_proj = nn.Linear(config.HiddenSize, config.HiddenSize, device: device, dtype: dtype);
        out_proj = nn.Linear(config.HiddenSize, config.HiddenSize, device: device, dtype: dtype);
        RegisterComponents();
    }

    long IAttentionHeads.Heads => _heads;

    long IAttentionHeads.HeadDim => _headDim;

    /// <param name="hidden">[batch, tokens, hidden]</param>
    /// <param name="mask">Additive mask broadcastable to [batch, heads, tokens, tokens] (the text tower's causal
    /// mask), or null for none (the vision tower).</param>
    public override Tensor forward(Tensor hidden, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        var (batch, tokens) = (hidden.shape[0], hidden.shape[1]);
        Tensor Heads(Tensor x) => x.view(batch, tokens, _heads, _headDim).transpose(1, 2);
        var attended = nn.functional.scaled_dot_product_attention(
            Heads(q_proj.forward(hidden)), Heads(k_proj.forward(hidden)), Heads(v_proj.forward(hidden)), mask);
        var merged = attended.transpose(1, 2).reshape(batch, tokens, _heads * _headDim);
        return out_proj.forward(merged).MoveToOuterDisposeScope();
    }
}
