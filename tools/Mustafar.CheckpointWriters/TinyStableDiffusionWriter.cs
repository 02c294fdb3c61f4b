using System.Text.Json;
using System.Text.Json.Nodes;
using Mustafar.Models.Checkpoints;
using Mustafar.Models.Diffusion.TextEncoder;
using Mustafar.Models.Diffusion.UNet;
using Mustafar.Models.Diffusion.Vae;
using Mustafar.Models.Tokenization;
using Mustafar.Torch;
using TorchSharp;
using static TorchSharp.torch;

using Mustafar.Models.Diffusion;

namespace Mustafar.CheckpointWriters;

/// <summary>Sizes of a random-weight pipeline with Stable Diffusion 2.1's topology (4 U-Net levels, cross-attention
/// in the first three down and last three up blocks, linear projections, GEGLU, 4-level VAE encoder).</summary>
public sealed record TinyStableDiffusionPreset(
    string Name, int[] UNetChannels, int[] UNetHeads, int UNetGroups, int[] VaeChannels, int VaeGroups,
    int TextHidden, int TextLayers, int TextHeads, int ImageSize)
{
    /// <summary>For tests and the offline demo: tiny, fast, 64 px images.</summary>
    public static TinyStableDiffusionPreset Tiny { get; } = new("tiny", [16, 32, 32, 32], [2, 4, 4, 4], 8, [16, 32, 32, 32], 8, 32, 2, 4, 64);

    /// <summary>For the benchmark: every stage does enough work to be timed, 128 px so the whole benchmark stays well under two minutes on two cores.</summary>
    public static TinyStableDiffusionPreset Small { get; } = new("small", [32, 64, 128, 128], [2, 4, 8, 8], 16, [32, 64, 64, 64], 16, 64, 2, 4, 128);

    public static TinyStableDiffusionPreset Named(string name) => name switch
    {
        "tiny" => Tiny,
        "small" => Small,
        _ => throw new ArgumentException($"unknown preset '{name}' (tiny, small; SD 2.1-base's own configs: RealSizeConfigs)", nameof(name)),
    };
}

/// <summary>
/// Writes a random-weight Stable Diffusion pipeline in the diffusers layout (model_index.json; unet/, vae/,
/// text_encoder/ with config.json and safetensors weights; tokenizer/; scheduler/ with SD 2.1's noise schedule)
/// from a preset and a seed, so tests and the offline demo run the real loading and extraction code without
/// downloads. The VAE file holds the encoder half (what the extractor loads). The tokenizer is the real CLIP
/// vocabulary when a folder with vocab.json and merges.txt is given, else a small self-made BPE vocabulary.
/// </summary>
public static class TinyStableDiffusionWriter
{
    public static void Write(string folder, TinyStableDiffusionPreset preset, int seed, string? clipVocabularyFolder = null)
    {
        Directory.CreateDirectory(folder);
        var vocabSize = WriteTokenizer(Path.Combine(folder, "tokenizer"), clipVocabularyFolder);
        WriteModels(folder, TextEncoderConfig(preset, vocabSize), VaeConfig(preset), UNetConfig(preset), seed, float32, $"{preset.Name} seed {seed}");
    }

    /// <summary>Writes a pipeline of the given component configs (SD 2.1-base's own, for the real-size mesh) with
    /// random weights saved in <paramref name="saveDType"/>, over the writer's small self-made tokenizer (the real
    /// 49408-token vocabulary cannot be downloaded here): its ids fall inside the text encoder's vocab_size, which
    /// keeps its configured size.</summary>
    public static void Write(string folder, JsonObject textEncoder, JsonObject vae, JsonObject unet, int seed, ScalarType saveDType, string description)
    {
        Directory.CreateDirectory(folder);
        var vocabSize = WriteTokenizer(Path.Combine(folder, "tokenizer"), clipVocabularyFolder: null);
        var declared = textEncoder["vocab_size"]?.GetValue<int>() ?? throw new InvalidDataException("the text encoder config has no vocab_size");
        if (declared < vocabSize) throw new ArgumentException($"the text encoder's vocab_size {declared} is smaller than the tokenizer's {vocabSize} ids", nameof(textEncoder));
        WriteModels(folder, textEncoder, vae, unet, seed, saveDType, $"{description} seed {seed}");
    }

    private static void WriteModels(string folder, JsonObject textEncoder, JsonObject vae, JsonObject unet, int seed, ScalarType saveDType, string description)
    {
        random.manual_seed(seed);
        WriteComponent(Path.Combine(folder, "text_encoder"), "model", textEncoder, c => ClipTextEncoderLoader.Build(c, CPU, float32), saveDType);
        WriteComponent(Path.Combine(folder, "vae"), "diffusion_pytorch_model", vae, c => VaeEncoderLoader.Build(c, CPU, float32), saveDType);
        WriteComponent(Path.Combine(folder, "unet"), "diffusion_pytorch_model", unet, c => UNetLoader.Build(c, CPU, float32), saveDType);
        Directory.CreateDirectory(Path.Combine(folder, "scheduler"));
        WriteJson(Path.Combine(folder, "scheduler", "scheduler_config.json"), new JsonObject
        {
            ["_class_name"] = "DDPMScheduler", ["beta_schedule"] = "scaled_linear", ["beta_start"] = 0.00085,
            ["beta_end"] = 0.012, ["num_train_timesteps"] = 1000, ["prediction_type"] = "epsilon", ["clip_sample"] = false,
        });
        WriteJson(Path.Combine(folder, "model_index.json"), new JsonObject
        {
            ["_class_name"] = "StableDiffusionPipeline",
            ["_mustafar_preset"] = description,
            ["scheduler"] = new JsonArray("diffusers", "DDPMScheduler"),
            ["text_encoder"] = new JsonArray("transformers", "CLIPTextModel"),
            ["tokenizer"] = new JsonArray("transformers", "CLIPTokenizer"),
            ["unet"] = new JsonArray("diffusers", "UNet2DConditionModel"),
            ["vae"] = new JsonArray("diffusers", "AutoencoderKL"),
        });
    }

    private static int WriteTokenizer(string folder, string? clipVocabularyFolder)
    {
        var size = ClipVocabularyWriter.Write(folder);
        if (clipVocabularyFolder is null) return size;
        foreach (var file in new[] { "vocab.json", "merges.txt" })
            File.Copy(Path.Combine(clipVocabularyFolder, file), Path.Combine(folder, file), overwrite: true);
        return ClipTokenizerFiles.Load(folder).Vocabulary.Values.Max() + 1;
    }

    private static void WriteComponent(string folder, string baseName, JsonObject config, Func<HfConfig, nn.Module> build, ScalarType saveDType)
    {
        Directory.CreateDirectory(folder);
        var configPath = Path.Combine(folder, "config.json");
        WriteJson(configPath, config);
        using var scope = NewDisposeScope();
        using var module = build(HfConfig.Load(configPath));
        RandomizeNorms(module);
        var weights = module.state_dict().Select(kv => KeyValuePair.Create(kv.Key, saveDType == float32 ? kv.Value : kv.Value.to(saveDType)));
        SafetensorsWriter.Write(Path.Combine(folder, baseName + ".safetensors"), weights, new Dictionary<string, string> { ["format"] = "pt" });
    }

    // TorchSharp leaves GroupNorm's affine parameters uninitialised when a default device is set, and 1/0 would
    // hide a missing affine term anyway: every norm gets weight 1 + 0.1 N(0,1) and bias 0.1 N(0,1), as the
    // reference fixtures do.
    private static void RandomizeNorms(nn.Module module)
    {
        using var _ = no_grad();
        foreach (var (_, child) in module.named_modules())
        {
            var (weight, bias) = child switch
            {
                TorchSharp.Modules.GroupNorm g => (g.weight, g.bias),
                TorchSharp.Modules.LayerNorm l => (l.weight, l.bias),
                _ => (null, null),
            };
            using var scope = NewDisposeScope();
            weight?.copy_(randn_like(weight).Mul(0.1).Add(1.0));
            bias?.copy_(randn_like(bias).Mul(0.1));
        }
    }

    private static JsonObject TextEncoderConfig(TinyStableDiffusionPreset p, int vocabSize) => new()
    {
        ["architectures"] = new JsonArray("CLIPTextModel"), ["model_type"] = "clip_text_model", ["hidden_act"] = "gelu",
        ["hidden_size"] = p.TextHidden, ["intermediate_size"] = p.TextHidden * 4, ["num_hidden_layers"] = p.TextLayers,
        ["num_attention_heads"] = p.TextHeads, ["max_position_embeddings"] = 77, ["vocab_size"] = vocabSize,
        ["layer_norm_eps"] = 1e-5, ["bos_token_id"] = 0, ["eos_token_id"] = 2, ["pad_token_id"] = 1, ["torch_dtype"] = "float32",
    };

    private static JsonObject VaeConfig(TinyStableDiffusionPreset p) => new()
    {
        ["_class_name"] = "AutoencoderKL", ["act_fn"] = "silu", ["block_out_channels"] = Ints(p.VaeChannels),
        ["down_block_types"] = Repeat("DownEncoderBlock2D", p.VaeChannels.Length), ["up_block_types"] = Repeat("UpDecoderBlock2D", p.VaeChannels.Length),
        ["in_channels"] = 3, ["out_channels"] = 3, ["latent_channels"] = 4, ["layers_per_block"] = 2, ["norm_num_groups"] = p.VaeGroups,
        ["sample_size"] = p.ImageSize, ["scaling_factor"] = 0.18215, ["force_upcast"] = true, ["mid_block_add_attention"] = true,
        ["use_quant_conv"] = true, ["use_post_quant_conv"] = true,
    };

    private static JsonObject UNetConfig(TinyStableDiffusionPreset p) => new()
    {
        ["_class_name"] = "UNet2DConditionModel", ["act_fn"] = "silu", ["attention_head_dim"] = Ints(p.UNetHeads),
        ["block_out_channels"] = Ints(p.UNetChannels), ["cross_attention_dim"] = p.TextHidden,
        ["down_block_types"] = new JsonArray("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
        ["up_block_types"] = new JsonArray("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
        ["mid_block_type"] = "UNetMidBlock2DCrossAttn", ["center_input_sample"] = false, ["downsample_padding"] = 1,
        ["dual_cross_attention"] = false, ["flip_sin_to_cos"] = true, ["freq_shift"] = 0, ["in_channels"] = 4, ["out_channels"] = 4,
        ["layers_per_block"] = 2, ["mid_block_scale_factor"] = 1, ["norm_eps"] = 1e-5, ["norm_num_groups"] = p.UNetGroups,
        ["only_cross_attention"] = false, ["sample_size"] = p.ImageSize / 8, ["upcast_attention"] = false, ["use_linear_projection"] = true,
    };

    private static JsonArray Ints(int[] values) => new(values.Select(v => (JsonNode)v).ToArray());

    private static JsonArray Repeat(string value, int count) => new(Enumerable.Repeat(value, count).Select(v => (JsonNode)v).ToArray());

    private static void WriteJson(string path, JsonNode node) =>
        File.WriteAllText(path, node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
}
