using Mustafar.CheckpointWriters;
using Mustafar.Models.Checkpoints;
using Mustafar.Models.Fusion;
using Mustafar.Models.Generation;
using Mustafar.Models.Tokenization;
using static TorchSharp.torch;

namespace Mustafar.Models.Tests.Generation;

/// <summary>The tiny checkpoint writer produces loadable checkpoints in every layout and fusion mode, with a real
/// SentencePiece tokenizer; sharded and half-precision files load to the same model.</summary>
public sealed class TinyCheckpointTests(TinyCheckpoints checkpoints) : IClassFixture<TinyCheckpoints>
{
    public static TheoryData<string> Presets => [.. TinyLlavaOptions.PresetNames];

    [Theory]
    [MemberData(nameof(Presets))]
    public void Every_preset_loads_with_its_fusion_mode_and_features(string preset)
    {
        var folder = checkpoints.Preset(preset);
        using var model = GeneratorModel.Load(folder);
        var options = TinyLlavaOptions.Preset(preset);
        if (options.Layout == CheckpointLayout.Llama)
        {
            Assert.Null(model.Info.FusionMode);
            Assert.Empty(model.Info.ExpectedFeatures);
            return;
        }
        Assert.Equal(options.Mode, model.Info.FusionMode);
        var clipTokens = (options.VisionImageSize / options.VisionPatchSize) * (options.VisionImageSize / options.VisionPatchSize);
        var clip = model.Info.ExpectedFeatures[0];
        Assert.Equal((VisualFeatureSpec.ClipName, clipTokens, options.VisionHiddenSize, -2, false), (clip.Name, clip.Tokens, clip.Channels, clip.ClipSelectLayer, clip.ClipKeepCls));
        if (options.Mode == FusionKind.ClipOnly)
        {
            Assert.Single(model.Info.ExpectedFeatures);
            Assert.Equal(clipTokens, model.Info.ImageTokens);
        }
        else
        {
            var diffusion = model.Info.ExpectedFeatures[1];
            Assert.Equal((VisualFeatureSpec.DiffusionName, options.DiffusionTap, options.DiffusionChannels, options.DiffusionGridHeight * options.DiffusionGridWidth),
                (diffusion.Name, diffusion.DiffusionTap, diffusion.Channels, diffusion.Tokens));
            Assert.Equal(options.Mode == FusionKind.ConcatTokens ? clipTokens + diffusion.Tokens : clipTokens, model.Info.ImageTokens);
        }
        // llava-hf files carry the vision tower, which belongs to the CLIP service.
        Assert.True(model.LoadReport.Ignored.GetValueOrDefault("vision_tower.") > 0);
        Assert.Equal(LlamaTextTokenizer.ImagePlaceholder, model.Tokenizer.PieceOf(model.Config.ImageTokenId));
    }

    [Fact]
    public void The_original_layout_renames_the_projector_and_uses_llava_chunks()
    {
        var folder = checkpoints.Get("original-concat-tokens", new TinyLlavaOptions { Layout = CheckpointLayout.LlavaOriginal, Mode = FusionKind.ConcatTokens });
        using (var checkpoint = SafetensorsCheckpoint.Open(folder))
        {
            Assert.Contains("model.mm_projector.0.weight", checkpoint.Tensors.Keys);
            Assert.Contains("model.mm_projector.2.bias", checkpoint.Tensors.Keys);
            Assert.Contains("mustafar_fusion.diffusion_projector.linear_1.weight", checkpoint.Tensors.Keys);
            Assert.DoesNotContain(checkpoint.Tensors.Keys, k => k.StartsWith("language_model.", StringComparison.Ordinal));
        }
        using var model = GeneratorModel.Load(folder);
        Assert.Equal(CheckpointLayout.LlavaOriginal, model.Info.Layout);
        Assert.Equal(GeneratorCheckpointConfig.LlavaImageTokenIndex, model.Config.ImageTokenId);
        Assert.Equal(ImagePromptTokenization.LlavaChunks, model.ImageTokenization);
        Assert.Equal(FusionKind.ConcatTokens, model.Info.FusionMode);
    }

    [Fact]
    public void Sharded_half_precision_files_load_to_the_same_weights_in_any_compute_dtype()
    {
        var single = checkpoints.Get("single-fp32", new TinyLlavaOptions { Mode = FusionKind.CrossAttention, Seed = 3 });
        var sharded = checkpoints.Get("sharded-fp16", new TinyLlavaOptions { Mode = FusionKind.CrossAttention, Seed = 3, Shards = 3, SaveDType = ScalarType.Float16 });
        Assert.True(File.Exists(Path.Combine(sharded, "model.safetensors.index.json")));
        Assert.Equal(3, Directory.GetFiles(sharded, "model-*-of-00003.safetensors").Length);

        using var scope = NewDisposeScope();
        var (reference, _) = GeneratorWeights.Load(single, CPU, ScalarType.Float32);
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.Float16, ScalarType.BFloat16 })
        {
            var (model, _) = GeneratorWeights.Load(sharded, CPU, dtype);
            var expected = reference.state_dict();
            foreach (var (key, value) in model.state_dict())
            {
                Assert.Equal(dtype, value.dtype);
                // fp16 storage rounds the fp32 values; bf16 compute rounds further.
                var tolerance = dtype == ScalarType.BFloat16 ? 1e-2 : 1e-3;
                var diff = (value.to(ScalarType.Float32) - expected[key]).abs().max().item<float>();
                Assert.True(diff <= tolerance * Math.Max(1, expected[key].abs().max().item<float>()), $"{key} in {dtype}: {diff}");
            }
        }
    }

    [Fact]
    public void A_tied_lm_head_is_left_out_of_the_file_and_shares_the_embeddings()
    {
        var folder = checkpoints.Get("tied", new TinyLlavaOptions { Layout = CheckpointLayout.Llama, TieWordEmbeddings = true });
        using (var checkpoint = SafetensorsCheckpoint.Open(folder))
            Assert.DoesNotContain("lm_head.weight", checkpoint.Tensors.Keys);
        using var scope = NewDisposeScope();
        var (model, _) = GeneratorWeights.Load(folder, CPU, ScalarType.Float32);
        var state = model.state_dict();
        Assert.Equal(0, (state["language_model.lm_head.weight"] - state["language_model.model.embed_tokens.weight"]).abs().max().item<float>());
    }

    [Fact]
    public void The_generated_tokenizer_model_round_trips_and_encodes_english_without_byte_fallback()
    {
        var model = LlamaTinySentencePiece.Build(500);
        var parsed = LlamaSentencePieceModel.Parse(model.ToBytes(), "tiny");
        Assert.Equal(model.Pieces, parsed.Pieces);
        Assert.Equal((model.ModelType, model.ByteFallback, model.AddDummyPrefix, model.RemoveExtraWhitespaces),
            (parsed.ModelType, parsed.ByteFallback, parsed.AddDummyPrefix, parsed.RemoveExtraWhitespaces));
        var tokenizer = new LlamaTextTokenizer(model.ToBytes(), new LlamaTokenizerSettings());
        var ids = tokenizer.Encode("What is shown in this image?");
        Assert.Equal(tokenizer.BosId, ids[0]);
        Assert.All(ids.Skip(1), id => Assert.True(id > 258, $"id {id} is a byte or control piece"));
        Assert.True(ids.Count < "What is shown in this image?".Length / 2, "merges shorten common words");
        Assert.Equal("What is shown in this image? 🐱", tokenizer.Decode(tokenizer.Encode("What is shown in this image? 🐱")));
    }
}
