using System.Text.Json;
using System.Text.Json.Nodes;
using Mustafar.Models.Checkpoints;
using Mustafar.Models.Clip;
using Mustafar.Models.Fusion;
using Mustafar.Models.Tokenization;
using Mustafar.Torch;
using TorchSharp;
using static TorchSharp.torch;

using Mustafar.Models.Generation;

namespace Mustafar.CheckpointWriters;

/// <summary>
/// Writes a tiny, seeded generator checkpoint in a real layout (llava-hf by default: config.json with text_config,
/// vision_config and, for the diffusion modes, the mustafar_fusion extension; model.safetensors with
/// language_model.*, multi_modal_projector.*, vision_tower.* and the fusion modules; tokenizer.model with
/// tokenizer_config.json; generation_config.json), for tests and the offline demo. The tokenizer is a small
/// SentencePiece BPE model trained on the spot (<see cref="LlamaTinySentencePiece"/>).
/// </summary>
public static class TinyLlavaCheckpoint
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static void Write(string folder, TinyLlavaOptions options)
    {
        var sentencePiece = LlamaTinySentencePiece.Build(options.SentencePieceVocab, options.TokenizerCorpus);
        var pieces = sentencePiece.Pieces.Count;
        if (options.Layout == CheckpointLayout.Llama && options.Mode != FusionKind.ClipOnly)
            throw new ArgumentException("a text-only (llama) checkpoint has no fusion module", nameof(options));
        // llava-hf adds <image> and <pad> after the SentencePiece pieces and pads the table to a multiple of 64.
        var vocab = options.Layout == CheckpointLayout.LlavaHf ? (pieces + 2 + 63) / 64 * 64 : pieces;
        Write(folder, Config(options, vocab, imageId: pieces), sentencePiece, options);
    }

    /// <summary>Writes a checkpoint of the given config.json (its sizes, layout keys and mustafar_fusion), with the
    /// given tokenizer and seeded random weights. Of <paramref name="options"/> only the layout, seed, saved dtype,
    /// shards, tied embeddings and weight scale apply; the sizes come from the config. In the llava-hf layout the
    /// config's image_token_index names the &lt;image&gt; token (and the next id &lt;pad&gt;).</summary>
    public static void Write(string folder, JsonObject config, LlamaSentencePieceModel sentencePiece, TinyLlavaOptions options)
    {
        Directory.CreateDirectory(folder);
        var llavaHf = options.Layout == CheckpointLayout.LlavaHf;
        var imageId = llavaHf ? config["image_token_index"]!.GetValue<int>() : sentencePiece.Pieces.Count;
        var configPath = Path.Combine(folder, "config.json");

        File.WriteAllBytes(Path.Combine(folder, "tokenizer.model"), sentencePiece.ToBytes());
        WriteJson(Path.Combine(folder, "tokenizer_config.json"), TokenizerConfig(options.Layout, imageId, sentencePiece));
        WriteJson(configPath, config);
        WriteJson(Path.Combine(folder, GenerationDefaults.FileName), new JsonObject
        {
            ["bos_token_id"] = sentencePiece.BosId,
            ["eos_token_id"] = sentencePiece.EosId,
            ["pad_token_id"] = llavaHf ? imageId + 1 : 0,
        });

        var hf = new HfConfig(config, configPath);
        var parsed = GeneratorCheckpointConfig.Parse(hf);
        using var generator = new Generator((ulong)options.Seed, CPU);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            // Built on the meta device: only names and shapes, so a real-size layout costs no memory beyond its weights.
            using (var layout = GeneratorWeights.Build(parsed, META, ScalarType.Float32))
                foreach (var (name, parameter) in layout.named_parameters())
                {
                    if (options.TieWordEmbeddings && name == $"{LlavaForConditionalGeneration.LanguageModelKey}.lm_head.weight") continue;
                    tensors[CheckpointKey(name, parsed)] = Random(name, parameter.shape, generator, options);
                }
            if (llavaHf)
                foreach (var (name, shape) in VisionTowerShapes(hf))
                    tensors["vision_tower.vision_model." + name] = Random(name, shape, generator, options);
            WriteWeights(folder, tensors, options.Shards);
        }
        finally
        {
            foreach (var tensor in tensors.Values) tensor.Dispose();
        }
    }

    /// <summary>Writes a named preset (<see cref="TinyLlavaOptions.PresetNames"/>).</summary>
    public static void Write(string folder, string preset, long seed = 0) => Write(folder, TinyLlavaOptions.Preset(preset) with { Seed = seed });

    /// <summary>Seeded values in the saved dtype with the scale of a trained model's: norms near 1, small biases,
    /// weights N(0, <see cref="TinyLlavaOptions.WeightStd"/>).</summary>
    private static Tensor Random(string name, long[] shape, Generator generator, TinyLlavaOptions options)
    {
        using var scope = NewDisposeScope();
        var noise = randn(shape, ScalarType.Float32, CPU, generator: generator);
        var leaf = name[(name.LastIndexOf('.') + 1)..];
        var isNorm = name.Contains("norm", StringComparison.Ordinal) || name.Contains("layrnorm", StringComparison.Ordinal);
        var value = isNorm && leaf == "weight" ? noise.Mul(0.1).Add(1) : noise.Mul(leaf == "bias" ? 0.02 : options.WeightStd);
        return value.to(options.SaveDType).MoveToOuterDisposeScope();
    }

    /// <summary>The checkpoint name of a module key in the chosen layout (the inverse of the loader's KeyMapping).</summary>
    private static string CheckpointKey(string moduleKey, GeneratorCheckpointConfig config)
    {
        var fusion = config.Fusion;
        if (fusion is not null)
            foreach (var (module, checkpoint) in MustafarFusionModules.KeyPrefixes(fusion))
            {
                var prefix = $"{LlavaForConditionalGeneration.FusionModulesKey}.{module}";
                if (moduleKey.StartsWith(prefix, StringComparison.Ordinal)) return checkpoint + moduleKey[prefix.Length..];
            }
        if (config.Layout == CheckpointLayout.LlavaHf) return moduleKey;
        var language = LlavaForConditionalGeneration.LanguageModelKey + ".";
        if (moduleKey.StartsWith(language, StringComparison.Ordinal)) return moduleKey[language.Length..];
        var projector = LlavaForConditionalGeneration.ProjectorKey + ".";
        return moduleKey.Replace(projector + "linear_1.", "model.mm_projector.0.", StringComparison.Ordinal)
            .Replace(projector + "linear_2.", "model.mm_projector.2.", StringComparison.Ordinal);
    }

    /// <summary>CLIPVisionModel's keys (under vision_model.) for the config's vision_config: llava-hf files carry the
    /// tower. Read from the model itself (built on the meta device: shapes, no memory), so the keys are the loader's.</summary>
    private static IEnumerable<(string Name, long[] Shape)> VisionTowerShapes(HfConfig config)
    {
        const string tower = "vision_model.";
        using var model = new ClipVisionModel(ClipVisionConfig.From(config.Section("vision_config")), META, ScalarType.Float32);
        foreach (var (name, parameter) in model.named_parameters())
            if (name.StartsWith(tower, StringComparison.Ordinal)) yield return (name[tower.Length..], parameter.shape);
    }

    private static JsonObject Config(TinyLlavaOptions o, int vocab, int imageId)
    {
        var text = new JsonObject
        {
            ["vocab_size"] = vocab,
            ["hidden_size"] = o.HiddenSize,
            ["intermediate_size"] = o.IntermediateSize,
            ["num_hidden_layers"] = o.Layers,
            ["num_attention_heads"] = o.Heads,
            ["num_key_value_heads"] = o.KeyValueHeads,
            ["max_position_embeddings"] = o.MaxPositionEmbeddings,
            ["rms_norm_eps"] = 1e-5,
            ["tie_word_embeddings"] = o.TieWordEmbeddings,
        };
        var dtype = o.SaveDType switch { ScalarType.Float16 => "float16", ScalarType.BFloat16 => "bfloat16", _ => "float32" };
        switch (o.Layout)
        {
            case CheckpointLayout.Llama:
                text["architectures"] = new JsonArray("LlamaForCausalLM");
                text["model_type"] = "llama";
                text["torch_dtype"] = dtype;
                return text;
            case CheckpointLayout.LlavaOriginal:
                text["architectures"] = new JsonArray("LlavaLlamaForCausalLM");
                text["model_type"] = "llava";
                text["torch_dtype"] = dtype;
                text["mm_hidden_size"] = o.VisionHiddenSize;
                text["mm_projector_type"] = "mlp2x_gelu";
                text["mm_vision_select_layer"] = -2;
                text["mm_vision_select_feature"] = "patch";
                text["mm_vision_tower"] = "tiny-clip";
                text["mm_use_im_start_end"] = false;
                text["mm_use_im_patch_token"] = false;
                var grid = o.VisionImageSize / o.VisionPatchSize;
                var fusion = Fusion(o) ?? new JsonObject { ["mode"] = FusionKind.ClipOnly.ConfigName() };
                fusion["clip"] = new JsonObject { ["grid"] = new JsonArray(grid, grid) };
                text[FusionConfig.ConfigKey] = fusion;
                return text;
            default:
                text["model_type"] = "llama";
                var config = new JsonObject
                {
                    ["architectures"] = new JsonArray("LlavaForConditionalGeneration"),
                    ["model_type"] = "llava",
                    ["image_token_index"] = imageId,
                    ["pad_token_id"] = imageId + 1,
                    ["projector_hidden_act"] = "gelu",
                    ["vision_feature_layer"] = -2,
                    ["vision_feature_select_strategy"] = "default",
                    ["torch_dtype"] = dtype,
                    ["text_config"] = text,
                    ["vision_config"] = new JsonObject
                    {
                        ["model_type"] = "clip_vision_model",
                        ["hidden_size"] = o.VisionHiddenSize,
                        ["intermediate_size"] = o.VisionIntermediateSize,
                        ["num_hidden_layers"] = o.VisionLayers,
                        ["num_attention_heads"] = o.VisionHeads,
                        ["image_size"] = o.VisionImageSize,
                        ["patch_size"] = o.VisionPatchSize,
                        ["projection_dim"] = o.VisionHiddenSize,
                    },
                };
                if (Fusion(o) is { } extension) config[FusionConfig.ConfigKey] = extension;
                return config;
        }
    }

    /// <summary>The mustafar_fusion object for the diffusion modes (null for clip-only).</summary>
    internal static JsonObject? Fusion(TinyLlavaOptions o)
    {
        if (o.Mode == FusionKind.ClipOnly) return null;
        var fusion = new JsonObject
        {
            ["format_version"] = FusionConfig.FormatVersion,
            ["mode"] = o.Mode.ConfigName(),
            ["diffusion"] = new JsonObject
            {
                ["tap"] = o.DiffusionTap,
                ["channels"] = o.DiffusionChannels,
                ["grid"] = new JsonArray(o.DiffusionGridHeight, o.DiffusionGridWidth),
                ["timestep"] = o.DiffusionTimestep,
                ["guidance_scale"] = o.DiffusionGuidanceScale,
                ["prompt"] = "question",
            },
        };
        if (o.Mode == FusionKind.ConcatChannels) fusion["concat_channels"] = new JsonObject { ["resize"] = "bilinear" };
        if (o.Mode == FusionKind.CrossAttention) fusion["cross_attention"] = new JsonObject { ["num_attention_heads"] = o.CrossAttentionHeads, ["layer_norm_eps"] = 1e-5 };
        if (o.Mode == FusionKind.ConcatTokens) fusion["weights"] = new JsonObject { ["diffusion_projector"] = FusionConfig.DefaultDiffusionProjectorPrefix };
        if (o.Mode == FusionKind.CrossAttention) fusion["weights"] = new JsonObject { ["cross_attention"] = FusionConfig.DefaultCrossAttentionPrefix };
        return fusion;
    }

    /// <summary>tokenizer_config.json as transformers saves it for LlamaTokenizer (legacy false, as Vicuna v1.5 and
    /// llava-hf); llava-hf registers &lt;image&gt; and &lt;pad&gt; as added special tokens.</summary>
    private static JsonObject TokenizerConfig(CheckpointLayout layout, int imageId, LlamaSentencePieceModel model)
    {
        static JsonObject Token(string content) => new() { ["content"] = content, ["lstrip"] = false, ["rstrip"] = false, ["normalized"] = false, ["single_word"] = false, ["special"] = true };
        var added = new JsonObject
        {
            [model.UnkId.ToString(System.Globalization.CultureInfo.InvariantCulture)] = Token(model.Pieces[model.UnkId].Piece),
            [model.BosId.ToString(System.Globalization.CultureInfo.InvariantCulture)] = Token(model.Pieces[model.BosId].Piece),
            [model.EosId.ToString(System.Globalization.CultureInfo.InvariantCulture)] = Token(model.Pieces[model.EosId].Piece),
        };
        if (layout == CheckpointLayout.LlavaHf)
        {
            added[imageId.ToString(System.Globalization.CultureInfo.InvariantCulture)] = Token(LlamaTextTokenizer.ImagePlaceholder);
            added[(imageId + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)] = Token("<pad>");
        }
        return new JsonObject
        {
            ["tokenizer_class"] = "LlamaTokenizer",
            ["add_bos_token"] = true,
            ["add_eos_token"] = false,
            ["legacy"] = false,
            ["bos_token"] = model.Pieces[model.BosId].Piece,
            ["eos_token"] = model.Pieces[model.EosId].Piece,
            ["unk_token"] = model.Pieces[model.UnkId].Piece,
            ["added_tokens_decoder"] = added,
        };
    }

    private static void WriteWeights(string folder, Dictionary<string, Tensor> tensors, int shards)
    {
        if (shards <= 1)
        {
            SafetensorsWriter.Write(Path.Combine(folder, "model.safetensors"), tensors);
            return;
        }
        var keys = tensors.Keys.Order(StringComparer.Ordinal).ToList();
        var weightMap = new JsonObject();
        long total = 0;
        for (var shard = 0; shard < shards; shard++)
        {
            var file = $"model-{shard + 1:D5}-of-{shards:D5}.safetensors";
            var part = keys.Where((_, i) => i * shards / keys.Count == shard).ToDictionary(k => k, k => tensors[k]);
            SafetensorsWriter.Write(Path.Combine(folder, file), part);
            foreach (var (key, tensor) in part)
            {
                weightMap[key] = file;
                total += tensor.numel() * tensor.element_size();
            }
        }
        WriteJson(Path.Combine(folder, "model.safetensors.index.json"), new JsonObject
        {
            ["metadata"] = new JsonObject { ["total_size"] = total },
            ["weight_map"] = weightMap,
        });
    }

    private static void WriteJson(string path, JsonObject json) => File.WriteAllText(path, json.ToJsonString(Indented) + "\n");
}
