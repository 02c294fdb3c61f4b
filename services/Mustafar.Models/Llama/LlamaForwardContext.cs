using static TorchSharp.torch;

namespace Mustafar.Models.Llama;

/// <summary>What every decoder layer of one forward shares: the RoPE tables for the new tokens, the attention mask
/// in the grouped-query layout (see <see cref="LlamaAttention"/>) and the KV cache, if any. The tensors belong to the
/// dispose scope of the <see cref="LlamaModel"/> forward that made them.</summary>
internal sealed record LlamaForwardContext(Tensor Cos, Tensor Sin, Tensor GroupedMask, KvCache? Cache);
