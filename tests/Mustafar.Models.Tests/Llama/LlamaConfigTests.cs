using System.Text.Json.Nodes;
using Mustafar.Models.Checkpoints;
using Mustafar.Models.Llama;
using static TorchSharp.torch;

namespace Mustafar.Models.Tests.Llama;

/// <summary>LlamaConfig defaults and RoPE scaling.</summary>
public sealed class LlamaConfigTests
{
    private static LlamaConfig Parse(JsonObject json) => LlamaConfig.From(new HfConfig(json, "config.json"));

    [Fact]
    public void Missing_keys_take_llama_config_defaults()
    {
        // llava-hf's text_config as saved: only keys that differ from LlamaConfig's defaults.
        var config = Parse(new JsonObject { ["max_position_embeddings"] = 4096, ["rms_norm_eps"] = 1e-5, ["vocab_size"] = 32064, ["pad_token_id"] = 0 });
        Assert.Equal((4096, 11008, 32, 32, 32, 128), (config.HiddenSize, config.IntermediateSize, config.NumHiddenLayers, config.NumAttentionHeads, config.NumKeyValueHeads, config.HeadDim));
        Assert.Equal((32064, 4096, 1e-5, 10000.0, false, "silu"), (config.VocabSize, config.MaxPositionEmbeddings, config.RmsNormEps, config.RopeTheta, config.TieWordEmbeddings, config.HiddenAct));
        Assert.Equal((1, 2, 0), (config.BosTokenId, config.EosTokenIds.Single(), config.PadTokenId));
        Assert.Null(config.RopeScaling);
        Assert.Equal(1e-6, Parse([]).RmsNormEps);
        Assert.Equal(2048, Parse([]).MaxPositionEmbeddings);
    }

    [Fact]
    public void Rope_scaling_reads_linear_and_dynamic_and_refuses_other_types()
    {
        Assert.Equal(new RopeScaling(RopeScalingType.Linear, 2), Parse(new JsonObject { ["rope_scaling"] = new JsonObject { ["type"] = "linear", ["factor"] = 2.0 } }).RopeScaling);
        Assert.Equal(new RopeScaling(RopeScalingType.Dynamic, 4), Parse(new JsonObject { ["rope_scaling"] = new JsonObject { ["rope_type"] = "dynamic", ["factor"] = 4 } }).RopeScaling);
        Assert.Null(Parse(new JsonObject { ["rope_scaling"] = new JsonObject { ["rope_type"] = "default" } }).RopeScaling);
        var error = Assert.Throws<NotSupportedException>(() => Parse(new JsonObject { ["rope_scaling"] = new JsonObject { ["type"] = "yarn", ["factor"] = 4 } }));
        Assert.Contains("'yarn'", error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => Parse(new JsonObject { ["rope_scaling"] = new JsonObject { ["type"] = "linear", ["factor"] = 0.5 } }));
        Assert.Throws<InvalidDataException>(() => Parse(new JsonObject { ["num_attention_heads"] = 6, ["num_key_value_heads"] = 4 }));
    }

    private static LlamaConfig Small(JsonObject? scaling) => Parse(new JsonObject
    {
        ["hidden_size"] = 32, ["num_attention_heads"] = 2, ["max_position_embeddings"] = 16, ["rope_theta"] = 500.0,
        ["rope_scaling"] = scaling,
    });

    private static Tensor Cos(LlamaConfig config, params long[][] positions) =>
        new LlamaRotaryEmbedding(config).Compute(tensor(positions.SelectMany(p => p).ToArray()).view(positions.Length, -1), ScalarType.Float32).Cos;

    [Fact]
    public void Linear_scaling_divides_positions_by_the_factor()
    {
        using var scope = NewDisposeScope();
        var scaled = Cos(Small(new JsonObject { ["type"] = "linear", ["factor"] = 4.0 }), [0, 4, 8, 40]);
        var plain = new LlamaRotaryEmbedding(Small(null)).Compute(tensor(new[] { 0f, 1f, 2f, 10f }).view(1, -1).to(ScalarType.Int64), ScalarType.Float32).Cos;
        Assert.True((scaled - plain).abs().max().item<float>() < 1e-5);
    }

    [Fact]
    public void Dynamic_scaling_changes_the_base_only_past_the_trained_length_and_per_sequence()
    {
        using var scope = NewDisposeScope();
        var dynamic = Small(new JsonObject { ["type"] = "dynamic", ["factor"] = 2.0 });
        var shortSequence = new long[] { 3, 4, 5, 6 };
        Assert.True((Cos(dynamic, shortSequence) - Cos(Small(null), shortSequence)).abs().max().item<float>() < 1e-6);

        // Longest position 39: length 40 > 16, base = 500 * (2*40/16 - 1)^(16/14).
        var longSequence = new long[] { 36, 37, 38, 39 };
        var expectedBase = 500 * Math.Pow(2.0 * 40 / 16 - 1, 16.0 / 14);
        var inverse = Enumerable.Range(0, 8).Select(i => 1 / Math.Pow(expectedBase, 2.0 * i / 16)).ToArray();
        var expected = tensor(longSequence.SelectMany(p => inverse.Concat(inverse).Select(f => (float)Math.Cos(p * f))).ToArray()).view(1, 4, 16);
        Assert.True((Cos(dynamic, longSequence) - expected).abs().max().item<float>() < 1e-4);

        // A short row is not affected by a long batch-mate.
        var batched = Cos(dynamic, shortSequence, longSequence);
        Assert.True((batched[0] - Cos(dynamic, shortSequence)[0]).abs().max().item<float>() == 0);
    }
}
