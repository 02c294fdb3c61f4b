using System.Text.Json.Nodes;
using Mustafar.Models.Checkpoints;

namespace Mustafar.Models.Llama;

/// <summary>
/// transformers' <c>LlamaConfig</c>. A key missing from the file takes LlamaConfig's own default (transformers
/// 4.44), which matters for LLaVA: llava-hf's nested <c>text_config</c> is saved as a diff against LlamaConfig's
/// defaults, so its missing keys (hidden_size, num_hidden_layers, ...) mean those defaults and nothing else.
/// </summary>
public sealed record LlamaConfig
{
    public int VocabSize { get; init; } = 32000;
    public int HiddenSize { get; init; } = 4096;
    public int IntermediateSize { get; init; } = 11008;
    public int NumHiddenLayers { get; init; } = 32;
    public int NumAttentionHeads { get; init; } = 32;
    /// <summary>LlamaConfig: None means one KV head per query head (no grouping).</summary>
    public int NumKeyValueHeads { get; init; } = 32;
    /// <summary>Newer configs may set head_dim; otherwise hidden_size / num_attention_heads.</summary>
    public int HeadDim { get; init; } = 128;
    public string HiddenAct { get; init; } = "silu";
    public int MaxPositionEmbeddings { get; init; } = 2048;
    public double RmsNormEps { get; init; } = 1e-6;
    public double RopeTheta { get; init; } = 10000.0;
    public RopeScaling? RopeScaling { get; init; }
    public bool TieWordEmbeddings { get; init; }
    public bool AttentionBias { get; init; }
    public bool MlpBias { get; init; }
    public int BosTokenId { get; init; } = 1;
    public IReadOnlyList<int> EosTokenIds { get; init; } = [2];
    public int? PadTokenId { get; init; }

    /// <summary>Query heads that share one KV head.</summary>
    public int KeyValueGroups => NumAttentionHeads / NumKeyValueHeads;

    public static LlamaConfig From(HfConfig config)
    {
        var d = new LlamaConfig();
        var heads = config.Int("num_attention_heads", d.NumAttentionHeads);
        var hidden = config.Int("hidden_size", d.HiddenSize);
        var result = new LlamaConfig
        {
            VocabSize = config.Int("vocab_size", d.VocabSize),
            HiddenSize = hidden,
            IntermediateSize = config.Int("intermediate_size", d.IntermediateSize),
            NumHiddenLayers = config.Int("num_hidden_layers", d.NumHiddenLayers),
            NumAttentionHeads = heads,
            NumKeyValueHeads = config.Int("num_key_value_heads", heads),
            HeadDim = config.Int("head_dim", heads > 0 ? hidden / heads : 0),
            HiddenAct = config.String("hidden_act", d.HiddenAct)!,
            MaxPositionEmbeddings = config.Int("max_position_embeddings", d.MaxPositionEmbeddings),
            RmsNormEps = config.Double("rms_norm_eps", d.RmsNormEps),
            RopeTheta = config.Double("rope_theta", d.RopeTheta),
            RopeScaling = RopeScaling.Parse(config.Raw("rope_scaling"), config.Source),
            TieWordEmbeddings = config.Bool("tie_word_embeddings", d.TieWordEmbeddings),
            AttentionBias = config.Bool("attention_bias", d.AttentionBias),
            MlpBias = config.Bool("mlp_bias", d.MlpBias),
            BosTokenId = config.Int("bos_token_id", d.BosTokenId),
            EosTokenIds = IntOrList(config, "eos_token_id", d.EosTokenIds),
            PadTokenId = config.Has("pad_token_id") ? config.RequireInt("pad_token_id") : null,
        };
        if (!config.Has("head_dim") && heads > 0 && hidden % heads != 0)
            throw new InvalidDataException($"{config.Source}: hidden_size {hidden} is not divisible by num_attention_heads {heads}");
        result.Validate(config.Source);
        return result;
    }

    /// <summary>Checks the invariants the modules rely on, naming the file.</summary>
    public void Validate(string source)
    {
        static void Require(bool ok, string source, string message)
        {
            if (!ok) throw new InvalidDataException($"{source}: {message}");
        }
        Require(VocabSize > 0 && HiddenSize > 0 && IntermediateSize > 0 && NumHiddenLayers > 0 && MaxPositionEmbeddings > 0,
            source, "vocab_size, hidden_size, intermediate_size, num_hidden_layers and max_position_embeddings must be positive");
        Require(NumAttentionHeads > 0 && NumKeyValueHeads > 0 && NumAttentionHeads % NumKeyValueHeads == 0,
            source, $"num_attention_heads {NumAttentionHeads} must be a positive multiple of num_key_value_heads {NumKeyValueHeads}");
        Require(HeadDim > 0 && HeadDim % 2 == 0, source, $"head_dim {HeadDim} must be positive and even (RoPE rotates pairs)");
        Require(RmsNormEps > 0 && RopeTheta > 0, source, "rms_norm_eps and rope_theta must be positive");
    }

    private static IReadOnlyList<int> IntOrList(HfConfig config, string key, IReadOnlyList<int> fallback)
    {
        if (!config.Has(key)) return fallback;
        return config.Raw(key) is JsonArray ? config.IntArray(key, []) : [config.RequireInt(key)];
    }
}
