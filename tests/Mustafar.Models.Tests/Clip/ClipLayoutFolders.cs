using System.Text.Json.Nodes;
using Mustafar.CheckpointWriters;
using Mustafar.Models.Checkpoints;
using static TorchSharp.torch;

namespace Mustafar.Models.Tests.Clip;

/// <summary>Writes the tiny preset in each real layout, re-keying the writer's CLIPVisionModel weights the way
/// CLIPModel, llava-hf and original LLaVA files hold them, with the other parts' keys present too.</summary>
internal static class ClipLayoutFolders
{
    public const string Preset = "tiny";

    public static string VisionModel(string folder, int seed = 1)
    {
        TinyClipVisionCheckpoint.Write(folder, Preset, seed);
        return folder;
    }

    public static string ClipModel(string folder, int seed = 1)
    {
        var config = TinyClipVisionCheckpoint.Preset(Preset);
        using var scope = NewDisposeScope();
        var weights = TinyClipVisionCheckpoint.RandomWeights(config, seed);
        weights["text_model.embeddings.token_embedding.weight"] = zeros(10, 8);
        weights["text_model.final_layer_norm.weight"] = ones(8);
        weights["visual_projection.weight"] = zeros(config.ProjectionDim, config.HiddenSize);
        weights["text_projection.weight"] = zeros(config.ProjectionDim, 8);
        weights["logit_scale"] = tensor(2.6592f);
        SafetensorsWriter.Write(Path.Combine(folder, "model.safetensors"), weights);
        var vision = TinyClipVisionCheckpoint.ConfigJson(config);
        foreach (var key in new[] { "architectures", "torch_dtype", "transformers_version" }) vision.Remove(key);
        Write(folder, new JsonObject
        {
            ["architectures"] = new JsonArray("CLIPModel"),
            ["model_type"] = "clip",
            ["projection_dim"] = config.ProjectionDim,
            ["text_config"] = new JsonObject { ["hidden_size"] = 8, ["model_type"] = "clip_text_model" },
            ["vision_config"] = vision,
        });
        return folder;
    }

    /// <param name="nested">transformers 4.52+ naming (model.vision_tower.*) instead of vision_tower.*.</param>
    public static string LlavaHf(string folder, int seed = 1, bool nested = false, JsonObject? extraConfig = null)
    {
        var config = TinyClipVisionCheckpoint.Preset(Preset);
        using var scope = NewDisposeScope();
        var prefix = nested ? "model." : "";
        var weights = TinyClipVisionCheckpoint.RandomWeights(config, seed).ToDictionary(kv => prefix + "vision_tower." + kv.Key, kv => kv.Value);
        weights[prefix + "language_model.model.norm.weight"] = ones(16);
        weights[prefix + "multi_modal_projector.linear_1.weight"] = zeros(16, config.HiddenSize);
        weights[nested ? "lm_head.weight" : "language_model.lm_head.weight"] = zeros(40, 16);
        SafetensorsWriter.Write(Path.Combine(folder, "model.safetensors"), weights);
        var vision = TinyClipVisionCheckpoint.ConfigJson(config);
        foreach (var key in new[] { "architectures", "torch_dtype", "transformers_version" }) vision.Remove(key);
        var json = new JsonObject
        {
            ["architectures"] = new JsonArray("LlavaForConditionalGeneration"),
            ["model_type"] = "llava",
            ["text_config"] = new JsonObject { ["model_type"] = "llama", ["hidden_size"] = 16 },
            ["vision_config"] = vision,
        };
        foreach (var (key, value) in extraConfig ?? []) json[key] = value?.DeepClone();
        Write(folder, json);
        return folder;
    }

    /// <param name="towerSeed">When set, the LLaVA checkpoint also holds a self-trained tower with these weights.</param>
    public static string LlavaOriginal(string folder, string towerName, JsonObject settings, int? towerSeed = null)
    {
        using var scope = NewDisposeScope();
        var weights = new Dictionary<string, Tensor>
        {
            ["model.embed_tokens.weight"] = zeros(40, 16),
            ["model.layers.0.self_attn.rotary_emb.inv_freq"] = ones(4),
            ["model.mm_projector.0.weight"] = zeros(16, 32),
            ["lm_head.weight"] = zeros(40, 16),
        };
        if (towerSeed is { } seed)
            foreach (var (key, value) in TinyClipVisionCheckpoint.RandomWeights(TinyClipVisionCheckpoint.Preset(Preset), seed))
                weights["model.vision_tower.vision_tower." + key] = value;
        SafetensorsWriter.Write(Path.Combine(folder, "model.safetensors"), weights);
        var json = new JsonObject
        {
            ["architectures"] = new JsonArray("LlavaLlamaForCausalLM"),
            ["model_type"] = "llava",
            ["hidden_size"] = 16,
            ["mm_vision_tower"] = towerName,
        };
        foreach (var (key, value) in settings) json[key] = value?.DeepClone();
        Write(folder, json);
        return folder;
    }

    private static void Write(string folder, JsonObject config)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());
    }
}
