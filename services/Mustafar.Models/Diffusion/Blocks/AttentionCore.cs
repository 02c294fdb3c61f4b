using TorchSharp;
using static TorchSharp.torch;

namespace Mustafar.Models.Diffusion.Blocks;

/// <summary>The multi-head scaled dot-product attention of diffusers' AttnProcessor on projected tokens.</summary>
internal static class AttentionCore
{
    /// <param name="query">[batch, queries, heads * headDim]</param>
    /// <param name="key">[batch, keys, heads * headDim]</param>
    /// <param name="value">[batch, keys, heads * headDim]</param>
    /// <param name="upcast">Compute in float32 for half-precision inputs (diffusers' upcast_attention).</param>
    /// <returns>[batch, queries, heads * headDim] in the query's dtype.</returns>
    public static Tensor MultiHead(Tensor query, Tensor key, Tensor value, long heads, bool upcast)
    {
        using var scope = NewDisposeScope();
        var (batch, queries, inner) = (query.shape[0], query.shape[1], query.shape[2]);
        var headDim = inner / heads;
        var computeType = upcast && query.dtype is ScalarType.Float16 or ScalarType.BFloat16 ? float32 : query.dtype;
        Tensor Heads(Tensor x) => x.to(computeType).view(x.shape[0], x.shape[1], heads, headDim).transpose(1, 2);
        var attended = nn.functional.scaled_dot_product_attention(Heads(query), Heads(key), Heads(value));
        return attended.transpose(1, 2).reshape(batch, queries, inner).to(query.dtype).MoveToOuterDisposeScope();
    }
}
