using Mustafar.Torch;
using static TorchSharp.torch;

namespace Mustafar.Models.Llama;

/// <summary>Position ids for left-padded batches, as transformers' generate() derives them.</summary>
internal static class LlamaPositions
{
    /// <summary>(mask.cumsum(-1) - 1).masked_fill(mask == 0, 1): every real token gets its position within its own
    /// sequence, whatever padding precedes it; padding gets 1 (never read).</summary>
    /// <param name="attentionMask">[batch, tokens], 1 (or true) for real tokens.</param>
    public static Tensor FromAttentionMask(Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var mask = attentionMask.to(ScalarType.Int64);
        return mask.cumsum(-1).Sub(1).MaskedFill(mask.Eq(0), 1).MoveToOuterDisposeScope();
    }
}
