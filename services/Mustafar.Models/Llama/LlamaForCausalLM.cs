using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mustafar.Models.Llama;

/// <summary>transformers' LlamaForCausalLM: <see cref="LlamaModel"/> and the lm_head. With
/// <c>tie_word_embeddings</c> the lm_head shares the embedding table, and a checkpoint may omit lm_head.weight.
/// Modules are built directly with the given device and dtype (TorchSharp's default dtype and device are
/// process-wide, so switching them would race with anything else building tensors).</summary>
public sealed class LlamaForCausalLM : nn.Module
{
    private readonly LlamaModel model;
    private readonly Linear lm_head;

    public LlamaConfig Config { get; }

    public LlamaForCausalLM(LlamaConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(LlamaForCausalLM))
    {
        Config = config;
        model = new LlamaModel(config, device, dtype);
        lm_head = nn.Linear(config.HiddenSize, config.VocabSize, false, device, dtype);
        if (config.TieWordEmbeddings) lm_head.weight = model.EmbeddingWeight;
        RegisterComponents();
    }

    /// <summary>The lm_head key a checkpoint of a tied model may leave out.</summary>
    public static string TiedHeadKey => "lm_head.weight";

    internal LlamaModel Model => model;

    /// <summary>Token embeddings [batch, tokens, hidden].</summary>
    public Tensor Embed(Tensor inputIds) => model.Embed(inputIds);

    /// <summary>Logits [batch, tokens, vocab] in float32 for whole sequences without a KV cache (teacher-forced
    /// training and scoring); decoding with a cache stays inside the generator.</summary>
    public Tensor forward(Tensor inputsEmbeds, Tensor positionIds, Tensor queryValid) => forward(inputsEmbeds, positionIds, queryValid, null);

    /// <summary>Logits [batch, tokens, vocab] in float32, as transformers returns them; with
    /// <paramref name="lastOnly"/> only for the last column ([batch, 1, vocab]), which is all decoding needs.</summary>
    internal Tensor forward(Tensor inputsEmbeds, Tensor positionIds, Tensor queryValid, KvCache? cache, bool lastOnly = false)
    {
        using var scope = NewDisposeScope();
        var hidden = model.forward(inputsEmbeds, positionIds, queryValid, cache);
        if (lastOnly) hidden = hidden.narrow(1, hidden.shape[1] - 1, 1);
        return lm_head.forward(hidden).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }
}
