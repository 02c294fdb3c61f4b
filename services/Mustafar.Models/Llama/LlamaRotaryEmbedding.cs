using Mustafar.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Mustafar.Models.Llama;

/// <summary>
/// transformers' LlamaRotaryEmbedding: cos/sin tables for explicit position ids in the rotate_half layout
/// (<c>emb = cat(freqs, freqs)</c>), computed in float32 and cast to the model dtype. <c>inv_freq</c> is not state
/// (transformers keeps it as a non-persistent buffer), so it is derived from the config on every call.
/// </summary>
internal sealed class LlamaRotaryEmbedding(LlamaConfig config)
{
    /// <summary>cos and sin, each [batch, tokens, head_dim], for <paramref name="positionIds"/> [batch, tokens].</summary>
    public (Tensor Cos, Tensor Sin) Compute(Tensor positionIds, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var inverse = InverseFrequencies(positionIds);                           // [batch or 1, head_dim/2]
        var freqs = positionIds.to(ScalarType.Float32).unsqueeze(-1) * inverse.unsqueeze(1);
        var emb = cat([freqs, freqs], -1);
        var cos = emb.cos().to(dtype);
        var sin = emb.sin().to(dtype);
        return (cos.MoveToOuterDisposeScope(), sin.MoveToOuterDisposeScope());
    }

    /// <summary>1 / base^(2i/d) for i in [0, d/2), as [1, d/2], or [batch, d/2] for dynamic scaling.</summary>
    private Tensor InverseFrequencies(Tensor positionIds)
    {
        var dim = config.HeadDim;
        var exponent = ScalarSafeOps.Arange(0, dim, 2, ScalarType.Int64, positionIds.device).to(ScalarType.Float32).Div(dim);
        switch (config.RopeScaling)
        {
            case null:
                return Inverse(tensor(config.RopeTheta, ScalarType.Float32, positionIds.device), exponent).unsqueeze(0);
            case { Type: RopeScalingType.Linear } linear:
                return Inverse(tensor(config.RopeTheta, ScalarType.Float32, positionIds.device), exponent).Div(linear.Factor).unsqueeze(0);
            case { Type: RopeScalingType.Dynamic } dynamic:
            {
                // Dynamic NTK as transformers computes it, base = theta * (f*L/max - (f-1))^(d/(d-2)) with
                // L = max(longest position + 1, max_position_embeddings). transformers takes L over the whole batch
                // and keeps it in module state across calls; taking it per row makes a sequence's result
                // independent of its batch-mates and of earlier requests, and equals transformers' for one
                // sequence decoded from its prompt.
                var max = (double)config.MaxPositionEmbeddings;
                var length = positionIds.max(1).values.to(ScalarType.Float64).Add(1).ClampMin(max);
                var bases = length.Mul(dynamic.Factor).Div(max).Sub(dynamic.Factor - 1).Pow(dim / (dim - 2.0)).Mul(config.RopeTheta);
                return Inverse(bases.to(ScalarType.Float32).unsqueeze(1), exponent.unsqueeze(0));
            }
            default:
                throw new NotSupportedException($"rope scaling {config.RopeScaling}");
        }
    }

    // 1 / b^e; TorchSharp computed 1.0f / t as reciprocal() times 1, so this is the same value.
    private static Tensor Inverse(Tensor bases, Tensor exponent) => bases.pow(exponent).reciprocal();

    /// <summary>q*cos + rotate_half(q)*sin, with rotate_half(x) = cat(-x2, x1) over the halves of head_dim.
    /// <paramref name="cos"/>/<paramref name="sin"/> are [batch, tokens, head_dim]; x is [batch, heads, tokens, head_dim].</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        var half = x.shape[^1] / 2;
        var rotated = cat([x.narrow(-1, half, half).neg(), x.narrow(-1, 0, half)], -1);
        return (x * cos.unsqueeze(1)).Add(rotated * sin.unsqueeze(1)).MoveToOuterDisposeScope();
    }
}
