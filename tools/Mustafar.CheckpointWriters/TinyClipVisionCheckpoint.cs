using System.Text.Json.Nodes;
using Mustafar.Models.Clip;
using Mustafar.Models.Common;
using Mustafar.Models.Imaging;
using Mustafar.Torch;
using TorchSharp;

using Mustafar.Models.Checkpoints;

namespace Mustafar.CheckpointWriters;

/// <summary>
/// Writes random-weight CLIP vision checkpoints in transformers' CLIPVisionModel layout (config.json,
/// model.safetensors or shards with an index, preprocessor_config.json) from a named preset and a seed, so tests,
/// benchmarks and the offline demo have real files to load. The same preset and seed give the same bytes.
/// </summary>
public static class TinyClipVisionCheckpoint
{
    /// <summary>The presets: "tiny" (fast CPU tests), "vit-b-16" (ViT-B/16 at 224, the benchmark size) and
    /// "vit-l-14-336" (CLIP ViT-L/14-336's shapes, 1.2 GB in fp32, for real-size runs).</summary>
    public static IReadOnlyDictionary<string, ClipVisionConfig> Presets { get; } = new Dictionary<string, ClipVisionConfig>(StringComparer.Ordinal)
    {
        ["tiny"] = new(new ClipEncoderConfig(32, 64, 3, 4, "quick_gelu", 1e-5), ImageSize: 28, PatchSize: 4, NumChannels: 3, ProjectionDim: 16),
        ["vit-b-16"] = new(new ClipEncoderConfig(768, 3072, 12, 12, "quick_gelu", 1e-5), ImageSize: 224, PatchSize: 16, NumChannels: 3, ProjectionDim: 512),
        ["vit-l-14-336"] = new(new ClipEncoderConfig(1024, 4096, 24, 16, "quick_gelu", 1e-5), ImageSize: 336, PatchSize: 14, NumChannels: 3, ProjectionDim: 768),
    };

    public static ClipVisionConfig Preset(string name) =>
        Presets.TryGetValue(name, out var config)
            ? config
            : throw new ArgumentException($"unknown CLIP vision preset '{name}' (known: {string.Join(", ", Presets.Keys)})", nameof(name));

    /// <summary>Writes the preset into <paramref name="folder"/>.</summary>
    /// <param name="dtype">The stored dtype (the hub's CLIP files are float32).</param>
    /// <param name="maxShardBytes">When set, weights are split into shards of at most this size.</param>
    public static void Write(string folder, string preset, int seed, torch.ScalarType dtype = torch.ScalarType.Float32, long? maxShardBytes = null) =>
        Write(folder, Preset(preset), seed, dtype, maxShardBytes);

    public static void Write(string folder, ClipVisionConfig config, int seed, torch.ScalarType dtype = torch.ScalarType.Float32, long? maxShardBytes = null)
    {
        Directory.CreateDirectory(folder);
        using var scope = torch.NewDisposeScope();
        var weights = RandomWeights(config, seed).ToDictionary(kv => kv.Key, kv => kv.Value.to(dtype));
        if (maxShardBytes is { } limit) SafetensorsShardedWriter.Write(folder, "model", weights, limit);
        else SafetensorsWriter.Write(Path.Combine(folder, "model.safetensors"), weights, new Dictionary<string, string> { ["format"] = "pt" });
        File.WriteAllText(Path.Combine(folder, "config.json"), ConfigJson(config, dtype).ToJsonString(Indented));
        File.WriteAllText(Path.Combine(folder, "preprocessor_config.json"),
            ClipImageProcessorConfig.ForImageSize(config.ImageSize).ToJson().ToJsonString(Indented));
    }

    /// <summary>Seeded weights for every state-dict key of <see cref="ClipVisionModel"/> (vision_model.*):
    /// normal(0, 0.02) for matrices and embeddings, LayerNorm weights 1 + 0.1 N and biases 0.1 N so that a swapped
    /// weight and bias would show.</summary>
    public static Dictionary<string, torch.Tensor> RandomWeights(ClipVisionConfig config, int seed)
    {
        using var generator = new torch.Generator((ulong)seed);
        Dictionary<string, long[]> shapes;
        using (var layout = ModuleBuild.Build(torch.META, torch.ScalarType.Float32, (device, dtype) => new ClipVisionModel(config, device, dtype)))
            shapes = StateDictLoader.ShapesOf(layout).OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key, kv => kv.Value);

        var weights = new Dictionary<string, torch.Tensor>(StringComparer.Ordinal);
        foreach (var (key, shape) in shapes)
        {
            using var scope = torch.NewDisposeScope();
            var noise = torch.randn(shape, generator: generator);
            var isNorm = key.Contains("layer_norm", StringComparison.Ordinal) || key.Contains("layrnorm", StringComparison.Ordinal) || key.Contains("post_layernorm", StringComparison.Ordinal);
            var value = isNorm && key.EndsWith(".weight", StringComparison.Ordinal) ? noise.Mul(0.1).Add(1.0)
                : isNorm ? noise.Mul(0.1)
                : noise.Mul(0.02);
            weights[key] = value.MoveToOuterDisposeScope();
        }
        return weights;
    }

    /// <summary>config.json as CLIPVisionConfig.save_pretrained writes it.</summary>
    public static JsonObject ConfigJson(ClipVisionConfig config, torch.ScalarType dtype = torch.ScalarType.Float32) => new()
    {
        ["architectures"] = new JsonArray("CLIPVisionModel"),
        ["attention_dropout"] = 0.0,
        ["dropout"] = 0.0,
        ["hidden_act"] = config.Encoder.HiddenAct,
        ["hidden_size"] = config.HiddenSize,
        ["image_size"] = config.ImageSize,
        ["initializer_factor"] = 1.0,
        ["initializer_range"] = 0.02,
        ["intermediate_size"] = config.Encoder.IntermediateSize,
        ["layer_norm_eps"] = config.Encoder.LayerNormEps,
        ["model_type"] = "clip_vision_model",
        ["num_attention_heads"] = config.Encoder.NumAttentionHeads,
        ["num_channels"] = config.NumChannels,
        ["num_hidden_layers"] = config.NumLayers,
        ["patch_size"] = config.PatchSize,
        ["projection_dim"] = config.ProjectionDim,
        ["torch_dtype"] = dtype switch
        {
            torch.ScalarType.Float16 => "float16",
            torch.ScalarType.BFloat16 => "bfloat16",
            _ => "float32",
        },
        ["transformers_version"] = "4.44.2",
    };

    private static readonly System.Text.Json.JsonSerializerOptions Indented = new() { WriteIndented = true };
}
