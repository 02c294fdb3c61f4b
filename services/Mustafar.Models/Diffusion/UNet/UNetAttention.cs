using Mustafar.Models.Diffusion.Blocks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Mustafar.Models.KernelChecks;

namespace Mustafar.Models.Diffusion.UNet;

/// <summary>diffusers' Attention as BasicTransformerBlock builds it: q/k/v without bias (k/v from the text for
/// cross-attention), scaled dot-product over heads, to_out.0 with bias. The q projection is a tap
/// ("-Self-Q" for attn1, "-Cross-Q" for attn2).</summary>
internal sealed class UNetAttention : nn.Module, IAttentionHeads
{
    private readonly Linear to_q;
    private readonly Linear to_k;
    private readonly Linear to_v;
    private readonly ModuleList<Linear> to_out;
    private readonly long _heads;
    private readonly bool _upcast;
    private readonly string _queryPath;

    public UNetAttention(string path, long queryDim, long contextDim, long heads, long headDim, bool upcast, Device? device = null, ScalarType? dtype = null) : base(nameof(UNetAttention))
    {
        var inner = heads * headDim;
        to_q = nn.Linear(queryDim, inner, hasBias: false, device: device, dtype: dtype);
        to_k = nn.Linear(contextDim, inner, hasBias: false, device: device, dtype: dtype);
        to_v = nn.Linear(contextDim, inner, hasBias: false, device: device, dtype: dtype);
        to_out = new ModuleList<Linear>(nn.Linear(inner, queryDim, device: device, dtype: dtype));
        _heads = heads;
        _upcast = upcast;
        _queryPath = path + ".to_q";
        RegisterComponents();
    }

    long IAttentionHeads.Heads => _heads;

    long IAttentionHeads.HeadDim => to_q.out_features / _heads;

    /// <param name="hidden">[batch, h*w, dim]</param>
    /// <param name="context">Text states [batch, tokens, context dim] for cross-attention; null for self-attention.</param>
    public Tensor Run(Tensor hidden, Tensor? context, UNetTapRecorder taps, long height, long width)
    {
        using var scope = NewDisposeScope();
        var query = to_q.forward(hidden);
        taps.Record(_queryPath, query, height, width);
        if (taps.IsComplete) return query.MoveToOuterDisposeScope();
        var source = context ?? hidden;
        var attended = AttentionCore.MultiHead(query, to_k.forward(source), to_v.forward(source), _heads, _upcast);
        return to_out[0].forward(attended).MoveToOuterDisposeScope();
    }
}
