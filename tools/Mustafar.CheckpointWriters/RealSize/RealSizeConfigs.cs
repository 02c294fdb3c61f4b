using System.Text.Json.Nodes;
using Mustafar.Models.Checkpoints;

namespace Mustafar.CheckpointWriters.RealSize;

/// <summary>
/// The real checkpoints' configs (as tests/fixtures/reference/real_keys holds them: no weights), from which the
/// real-size benchmarks build their models and <see cref="RealSizeCheckpoints"/> writes random-weight checkpoints:
/// llava-1.5-7b-hf (its text model Vicuna-7B, its vision tower CLIP ViT-L/14-336) and SD 2.1-base's text encoder,
/// VAE and U-Net. A test can swap any of them for a small config of the same kind (records' <c>with</c>).
/// </summary>
public sealed record RealSizeConfigs(JsonObject Llava, JsonObject Vicuna, JsonObject TextEncoder, JsonObject Vae, JsonObject UNet)
{
    /// <summary>Where the configs live, relative to the repository root.</summary>
    public const string ReferenceFolder = "tests/fixtures/reference/real_keys";

    public const string LlavaName = "llava-1.5-7b-hf";
    public const string VicunaName = "vicuna-7b-v1.5";
    public const string ClipVisionName = "clip-vit-large-patch14-336.CLIPVisionModel";

    /// <summary>Reads the five configs from a real_keys folder.</summary>
    public static RealSizeConfigs Load(string folder) => new(
        Json(folder, LlavaName), Json(folder, VicunaName), Json(folder, "sd21base.text_encoder"), Json(folder, "sd21base.vae"), Json(folder, "sd21base.unet"));

    /// <summary>One config of the folder by its name ("vicuna-7b-v1.5"), as the loaders read it.</summary>
    public static HfConfig Config(string folder, string name) => HfConfig.Load(PathOf(folder, name));

    private static string PathOf(string folder, string name) => Path.Combine(folder, name + ".config.json");

    private static JsonObject Json(string folder, string name) =>
        JsonNode.Parse(File.ReadAllText(PathOf(folder, name)))?.AsObject() ?? throw new InvalidDataException($"{PathOf(folder, name)} is not a JSON object");

    /// <summary>The llava-hf config.json of a generator with Vicuna-7B's layer shapes and <paramref name="layers"/>
    /// decoder layers: llava-1.5-7b-hf's own config, its text_config completed with Vicuna's values (llava-hf leaves
    /// LlamaConfig's defaults out), the image and pad tokens right after the tokenizer's own pieces (the writer's
    /// tokenizer is smaller than Vicuna's; the embedding table keeps the real size), the given fusion extension.</summary>
    public JsonObject GeneratorConfig(int layers, int imageTokenId, JsonObject fusion, string torchDType)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(layers);
        var config = Llava.DeepClone().AsObject();
        var text = config["text_config"]?.AsObject() ?? throw new InvalidDataException($"the {LlavaName} config has no text_config");
        foreach (var (key, value) in Vicuna)
            if (!text.ContainsKey(key) && key is not ("architectures" or "torch_dtype" or "transformers_version"))
                text[key] = value?.DeepClone();
        text["num_hidden_layers"] = layers;
        var vocab = text["vocab_size"]?.GetValue<int>() ?? throw new InvalidDataException("text_config has no vocab_size");
        if (imageTokenId + 2 > vocab) throw new ArgumentOutOfRangeException(nameof(imageTokenId), $"the image and pad tokens ({imageTokenId}, {imageTokenId + 1}) must fit the vocabulary of {vocab}");
        config["image_token_index"] = imageTokenId;
        config["pad_token_id"] = imageTokenId + 1;
        config["torch_dtype"] = torchDType;
        config[Mustafar.Models.Fusion.FusionConfig.ConfigKey] = fusion.DeepClone();
        return config;
    }
}
