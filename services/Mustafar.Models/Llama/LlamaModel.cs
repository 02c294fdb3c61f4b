using Mustafar.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mustafar.Models.Llama;

/// <summary>transformers' LlamaModel: token embeddings, the decoder layers and the final RMSNorm. Forwards take
/// input embeddings (so that LLaVA can splice visual tokens in), explicit position ids, which new tokens are real
/// (left padding) and an optional KV cache.</summary>
internal sealed class LlamaModel : nn.Module
{
    private readonly Embedding embed_tokens;
    private readonly ModuleList<LlamaDecoderLayer> layers;
    private readonly LlamaRmsNorm norm;
    private readonly LlamaRotaryEmbedding _rotary;
    private readonly LlamaConfig _config;

    public LlamaModel(LlamaConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(LlamaModel))
    {
        _config = config;
        embed_tokens = nn.Embedding(config.VocabSize, config.HiddenSize, device: device, dtype: dtype);
        layers = new ModuleList<LlamaDecoderLayer>();
        for (var i = 0; i < config.NumHiddenLayers; i++) layers.Add(new LlamaDecoderLayer(config, i, device, dtype));
        norm = new LlamaRmsNorm(config.HiddenSize, config.RmsNormEps, device, dtype);
        _rotary = new LlamaRotaryEmbedding(config);
        RegisterComponents();
    }

    /// <summary>The embedding table, shared with a tied lm_head.</summary>
    public Parameter EmbeddingWeight => embed_tokens.weight!;

    /// <summary>Token embeddings [batch, tokens, hidden] of ids [batch, tokens].</summary>
    public Tensor Embed(Tensor inputIds) => embed_tokens.forward(inputIds);

    /// <summary>Hidden states after the final norm, [batch, tokens, hidden].</summary>
    /// <param name="inputsEmbeds">[batch, tokens, hidden] in the model dtype.</param>
    /// <param name="positionIds">[batch, tokens] int64: each real token's position in its own sequence.</param>
    /// <param name="queryValid">[batch, tokens] bool: false for left padding.</param>
    /// <param name="cache">Past keys/values, extended in place; null for a forward without cache.</param>
    public Tensor forward(Tensor inputsEmbeds, Tensor positionIds, Tensor queryValid, KvCache? cache)
    {
        using var scope = NewDisposeScope();
        var past = cache?.Length ?? 0;
        var keyValid = cache is null ? queryValid : cache.BeginStep(queryValid);
        var (cos, sin) = _rotary.Compute(positionIds, inputsEmbeds.dtype);
        var mask = GroupedMask(keyValid, queryValid, past, _config.KeyValueGroups);
        var context = new LlamaForwardContext(cos, sin, mask, cache);
        var hidden = inputsEmbeds;
        foreach (var layer in layers) hidden = layer.forward(hidden, context);
        cache?.EndStep();
        return norm.forward(hidden).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The boolean attention mask [batch, 1, groups*tokens, keys] (true = attend): causal by column, real keys only.
    /// A padding query may attend to every earlier column instead: a fully masked row would make softmax NaN, and
    /// a NaN in a padding position would reach real tokens through 0 * NaN in the next layer. Padding outputs are
    /// never read by real tokens, whose masks exclude padding keys.
    /// </summary>
    internal static Tensor GroupedMask(Tensor keyValid, Tensor queryValid, int past, int groups)
    {
        using var scope = NewDisposeScope();
        var (batch, tokens, keys) = (queryValid.shape[0], queryValid.shape[1], keyValid.shape[1]);
        var queryColumn = ScalarSafeOps.Arange(past, past + tokens, dtype: ScalarType.Int64, device: queryValid.device);
        var keyColumn = ScalarSafeOps.Arange(keys, ScalarType.Int64, queryValid.device);
        var causal = keyColumn.unsqueeze(0).le(queryColumn.unsqueeze(1));                        // [tokens, keys]
        var allowed = causal.unsqueeze(0).logical_and(keyValid.unsqueeze(1).logical_or(queryValid.logical_not().unsqueeze(2)));
        return allowed.unsqueeze(1).expand(batch, groups, tokens, keys).reshape(batch, 1, groups * tokens, keys)
            .MoveToOuterDisposeScope();
    }
}
