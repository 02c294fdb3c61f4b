using Mustafar.Models.Checkpoints;
using Mustafar.Models.Imaging;

namespace Mustafar.Models.Clip;

/// <summary>
/// Everything needed to build and load a CLIP vision tower from a checkpoint folder, worked out from its
/// config.json (and, for self-trained LLaVA, the checkpoint's key names; which llava-hf key variant a file uses
/// is told from its keys when it is loaded, <see cref="MappingFor"/>):
/// <list type="bullet">
/// <item>a CLIPVisionModel or CLIPModel folder (model_type clip_vision_model / clip): defaults are LLaVA-1.5's;</item>
/// <item>a llava-hf folder (model_type llava with vision_config): vision_feature_layer and
/// vision_feature_select_strategy from the config, pad unless preprocessor_config.json says do_pad=false;</item>
/// <item>an original LLaVA folder (mm_vision_tower): the tower's config, preprocessor and weights from the CLIP
/// folder it names (found by <see cref="VisionTowerLocator"/>), unless the LLaVA checkpoint carries
/// <c>model.vision_tower.vision_tower.*</c> (self-trained), which are then loaded instead;
/// mm_vision_select_layer, mm_vision_select_feature and image_aspect_ratio from the LLaVA config.</item>
/// </list>
/// </summary>
public sealed record ClipVisionSource(
    string Folder,
    ClipCheckpointLayout Layout,
    ClipVisionConfig Config,
    string WeightsPath,
    ClipCheckpointLayout WeightsLayout,
    ClipImageProcessorConfig Preprocessing,
    ClipVisionDefaults Defaults,
    string? VisionTowerFolder)
{
    /// <summary>LlavaConfig's vision tower when its config has no vision_config (CLIP ViT-L/14-336).</summary>
    private static readonly ClipEncoderConfig LlavaDefaultTower = new(1024, 4096, 24, 16, "quick_gelu", 1e-5);

    /// <summary>LLaVA's training-argument defaults, used when its config leaves a key out.</summary>
    private const int LlavaDefaultSelectLayer = -1;

    internal static ClipVisionSource Resolve(string folder, VisionTowerLocator? locator = null)
    {
        folder = Path.GetFullPath(folder);
        var config = HfConfig.Load(Path.Combine(folder, "config.json"));
        var source = KindOf(config) switch
        {
            "clip_vision_model" or "clip" => FromClip(folder, config),
            "llava-original" => FromOriginalLlava(folder, config, locator ?? new VisionTowerLocator()),
            "llava-hf" => FromLlavaHf(folder, config),
            var other => throw new NotSupportedException(
                $"{config.Source}: '{other}' is not a CLIP vision checkpoint (supported: CLIPVisionModel, CLIPModel, llava-hf LlavaForConditionalGeneration, original LLaVA with mm_vision_tower)"),
        };
        source.CheckPreprocessingFitsTheModel();
        return source;
    }

    private static string KindOf(HfConfig config)
    {
        var type = config.String("model_type") ?? config.StringArray("architectures", []).FirstOrDefault() switch
        {
            "CLIPVisionModel" or "CLIPVisionModelWithProjection" => "clip_vision_model",
            "CLIPModel" => "clip",
            "LlavaForConditionalGeneration" or "LlavaLlamaForCausalLM" => "llava",
            var architecture => architecture ?? "(no model_type or architectures)",
        };
        if (type is "llava" or "llava_llama") return config.Has("mm_vision_tower") ? "llava-original" : "llava-hf";
        return type;
    }

    /// <summary>A CLIPVisionModel (the config is the vision config) or CLIPModel (vision_config inside) folder.</summary>
    private static ClipVisionSource FromClip(string folder, HfConfig config)
    {
        var (layout, vision) = KindOf(config) == "clip"
            ? (ClipCheckpointLayout.ClipModel, ClipVisionConfig.From(config.Section("vision_config")))
            : (ClipCheckpointLayout.ClipVisionModel, ClipVisionConfig.From(config));
        var preprocessing = PreprocessingFor(folder, vision);
        return new ClipVisionSource(folder, layout, vision, folder, layout, preprocessing, ClipVisionDefaults.Llava15 with { Aspect = PadUnlessDisabled(preprocessing) }, null);
    }

    private static ClipVisionSource FromLlavaHf(string folder, HfConfig config)
    {
        var vision = config.Has("vision_config")
            ? ClipVisionConfig.From(config.Section("vision_config"))
            : ClipVisionConfig.From(config.Section("vision_config"), LlavaDefaultTower, imageSize: 336, patchSize: 14, projectionDim: 768);
        if (config.Raw("vision_feature_layer") is System.Text.Json.Nodes.JsonArray)
            throw new NotSupportedException($"{config.Source}: a list of vision_feature_layer values (multi-layer features) is not supported");
        var defaults = new ClipVisionDefaults(
            config.Int("vision_feature_layer", -2),
            ClipFeatureSelection.Parse(config.String("vision_feature_select_strategy", "default")!, config.Source),
            AspectFit.Pad);
        var preprocessing = PreprocessingFor(folder, vision);
        return new ClipVisionSource(folder, ClipCheckpointLayout.LlavaHf, vision, folder, ClipCheckpointLayout.LlavaHf,
            preprocessing, defaults with { Aspect = PadUnlessDisabled(preprocessing) }, null);
    }

    private static ClipVisionSource FromOriginalLlava(string folder, HfConfig config, VisionTowerLocator locator)
    {
        var aspect = config.String("image_aspect_ratio", "square") switch
        {
            "pad" => AspectFit.Pad,
            "square" or "crop" => AspectFit.Crop,
            var other => throw new NotSupportedException($"{config.Source}: image_aspect_ratio '{other}' is not supported (pad or square)"),
        };
        var defaults = new ClipVisionDefaults(
            config.Int("mm_vision_select_layer", LlavaDefaultSelectLayer),
            ClipFeatureSelection.Parse(config.String("mm_vision_select_feature", "patch")!, config.Source),
            aspect);

        var towerFolder = locator.Locate(config.RequireString("mm_vision_tower"), folder);
        var towerConfig = HfConfig.Load(Path.Combine(towerFolder, "config.json"));
        var tower = KindOf(towerConfig) switch
        {
            "clip_vision_model" or "clip" => FromClip(towerFolder, towerConfig),
            var other => throw new InvalidDataException($"{config.Source}: mm_vision_tower '{towerFolder}' holds a '{other}' checkpoint, not a CLIP one"),
        };

        // Released checkpoints hold no tower; a self-trained one that saved it is loaded from itself.
        var ownTower = HasSafetensors(folder) && ClipCheckpointKeys.HasOriginalLlavaTower(OpenKeys(folder));
        return ownTower
            ? new ClipVisionSource(folder, ClipCheckpointLayout.LlavaOriginal, tower.Config, folder, ClipCheckpointLayout.LlavaOriginal, tower.Preprocessing, defaults, towerFolder)
            : tower with { Folder = folder, Layout = ClipCheckpointLayout.LlavaOriginal, Defaults = defaults, VisionTowerFolder = towerFolder };
    }

    /// <summary>How the weights file's keys map onto the model (the llava-hf variant is told by the keys).</summary>
    public KeyMapping MappingFor(IEnumerable<string> checkpointKeys) => ClipCheckpointKeys.For(WeightsLayout, checkpointKeys);

    private static bool HasSafetensors(string folder) =>
        File.Exists(Path.Combine(folder, "model.safetensors")) || File.Exists(Path.Combine(folder, "model.safetensors.index.json"));

    private static List<string> OpenKeys(string folder)
    {
        using var checkpoint = SafetensorsCheckpoint.Open(folder, ["model"]);
        return [.. checkpoint.Tensors.Keys];
    }

    /// <summary>preprocessor_config.json when present; otherwise CLIPImageProcessor's defaults sized to the
    /// tower's image_size (CLIPImageProcessor's own 224 would not fit a 336 tower).</summary>
    private static ClipImageProcessorConfig PreprocessingFor(string folder, ClipVisionConfig vision)
    {
        var path = Path.Combine(folder, "preprocessor_config.json");
        return File.Exists(path) ? ClipImageProcessorConfig.Load(path) : ClipImageProcessorConfig.ForImageSize(vision.ImageSize);
    }

    private static AspectFit PadUnlessDisabled(ClipImageProcessorConfig preprocessing) =>
        preprocessing.DoPad == false ? AspectFit.Crop : AspectFit.Pad;

    private void CheckPreprocessingFitsTheModel()
    {
        var size = new ClipImagePreprocessor(Preprocessing).OutputSize;
        if (size != (Config.ImageSize, Config.ImageSize))
            throw new InvalidDataException(
                $"{Folder}: the preprocessing makes {(size is { } s ? $"{s.Height}x{s.Width}" : "variable-size")} images, the vision tower needs {Config.ImageSize}x{Config.ImageSize}");
    }
}
