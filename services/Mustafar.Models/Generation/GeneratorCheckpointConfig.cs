using System.Text.RegularExpressions;
using Mustafar.Models.Checkpoints;
using Mustafar.Models.Fusion;
using Mustafar.Models.Llama;
using Mustafar.Models.Tokenization;

namespace Mustafar.Models.Generation;

/// <summary>
/// What a generator checkpoint's config.json says, whatever its layout: the language model's LlamaConfig, the
/// fusion module (null for a text-only model), the id that stands for the image in prompt ids, and how its
/// checkpoint keys map onto <see cref="LlavaForConditionalGeneration"/>.
/// </summary>
public sealed partial record GeneratorCheckpointConfig
{
    /// <summary>The original LLaVA repository's IMAGE_TOKEN_INDEX.</summary>
    public const int LlavaImageTokenIndex = -200;
    private const string RotaryBuffer = "rotary_emb.inv_freq";

    public required CheckpointLayout Layout { get; init; }
    public required LlamaConfig Text { get; init; }
    public FusionConfig? Fusion { get; init; }
    /// <summary>The prompt id replaced by the visual tokens: llava-hf's image_token_index, or -200.</summary>
    public required int ImageTokenId { get; init; }
    /// <summary>How this layout's own pipeline tokenizes image prompts.</summary>
    public required ImagePromptTokenization ImageTokenization { get; init; }
    /// <summary>A name for logs and ModelInfo (config's _name_or_path, else empty).</summary>
    public string NameOrPath { get; init; } = "";

    public static GeneratorCheckpointConfig Parse(HfConfig config)
    {
        var architectures = config.StringArray("architectures", []);
        var modelType = config.String("model_type", "");
        var name = config.String("_name_or_path", "") ?? "";
        if (config.Has("text_config") || architectures.Contains("LlavaForConditionalGeneration"))
            return ParseLlavaHf(config) with { NameOrPath = name };
        if (config.Has("mm_projector_type") || config.Has("mm_hidden_size") || architectures.Contains("LlavaLlamaForCausalLM"))
            return ParseOriginal(config) with { NameOrPath = name };
        if (modelType == "llama" || architectures.Contains("LlamaForCausalLM"))
            return new GeneratorCheckpointConfig
            {
                Layout = CheckpointLayout.Llama,
                Text = LlamaConfig.From(config),
                ImageTokenId = LlavaImageTokenIndex,
                ImageTokenization = ImagePromptTokenization.LlavaChunks,
                NameOrPath = name,
            };
        throw new InvalidDataException(
            $"{config.Source}: model_type '{modelType}' / architectures [{string.Join(", ", architectures)}] is not a LLaMA or LLaVA checkpoint");
    }

    private static GeneratorCheckpointConfig ParseLlavaHf(HfConfig config)
    {
        var textConfig = config.Section("text_config");
        var textType = textConfig.String("model_type", "llama");
        if (textType != "llama")
            throw new InvalidDataException($"{textConfig.Source}: the language model is '{textType}'; only llama is supported");
        var text = LlamaConfig.From(textConfig);

        // A vision_config that is present takes CLIPVisionConfig's defaults for missing keys (ViT-B/32: 768, 224, 32);
        // an absent one is LlavaConfig's default tower, CLIP ViT-L/14-336 (1024, 336, 14), as transformers 4.44 builds it.
        var vision = config.Section("vision_config");
        var towerDefaults = config.Has("vision_config") ? (Hidden: 768, Image: 224, Patch: 32) : (Hidden: 1024, Image: 336, Patch: 14);
        var grid = Grid(vision.Int("image_size", towerDefaults.Image), vision.Int("patch_size", towerDefaults.Patch), vision.Source);
        var strategy = config.String("vision_feature_select_strategy", "default");
        var keepCls = strategy switch
        {
            "default" => false,
            "full" => true,
            _ => throw new InvalidDataException($"{config.Source}: vision_feature_select_strategy '{strategy}' is not default or full"),
        };
        var clip = ClipSpec(vision.Int("hidden_size", towerDefaults.Hidden), grid, config.Int("vision_feature_layer", -2), keepCls);
        return new GeneratorCheckpointConfig
        {
            Layout = CheckpointLayout.LlavaHf,
            Text = text,
            Fusion = FusionConfig.Parse(config, clip, text.HiddenSize,
                config.String("projector_hidden_act", "gelu")!, config.Bool("multimodal_projector_bias", true)),
            ImageTokenId = config.Int("image_token_index", 32000),
            ImageTokenization = ImagePromptTokenization.AddedToken,
        };
    }

    private static GeneratorCheckpointConfig ParseOriginal(HfConfig config)
    {
        var text = LlamaConfig.From(config);
        // LLaVA's builder defaults mm_projector_type to "linear"; LLaVA-1.5 (and what this service serves) is mlp2x_gelu.
        var projector = config.String("mm_projector_type", "linear");
        if (projector != "mlp2x_gelu")
            throw new NotSupportedException($"{config.Source}: mm_projector_type '{projector}' is not supported (LLaVA-1.5 uses mlp2x_gelu)");
        if (config.Bool("mm_use_im_start_end", false) || config.Bool("mm_use_im_patch_token", false))
            throw new NotSupportedException($"{config.Source}: mm_use_im_start_end / mm_use_im_patch_token are not supported (LLaVA-1.5 uses neither)");
        var select = config.String("mm_vision_select_feature", "patch");
        var keepCls = select switch
        {
            "patch" => false,
            "cls_patch" => true,
            _ => throw new InvalidDataException($"{config.Source}: mm_vision_select_feature '{select}' is not patch or cls_patch"),
        };
        var clip = ClipSpec(config.RequireInt("mm_hidden_size"), OriginalClipGrid(config), config.RequireInt("mm_vision_select_layer"), keepCls);
        return new GeneratorCheckpointConfig
        {
            Layout = CheckpointLayout.LlavaOriginal,
            Text = text,
            Fusion = FusionConfig.Parse(config, clip, text.HiddenSize, "gelu", projectorBias: true),
            ImageTokenId = LlavaImageTokenIndex,
            ImageTokenization = ImagePromptTokenization.LlavaChunks,
        };
    }

    /// <summary>The original layout names its CLIP tower only by repository (mm_vision_tower), so the patch grid comes
    /// from <c>mustafar_fusion.clip.grid</c> when given, else from OpenAI's naming ("...-patch14-336": 336/14 = 24;
    /// no size suffix: 224).</summary>
    private static int[] OriginalClipGrid(HfConfig config)
    {
        var explicitGrid = config.Section(FusionConfig.ConfigKey).Section("clip").IntArray("grid", []);
        if (explicitGrid.Length == 2 && explicitGrid.All(g => g > 0)) return explicitGrid;
        var tower = config.String("mm_vision_tower", "") ?? "";
        var match = TowerName().Match(tower);
        if (!match.Success)
            throw new InvalidDataException(
                $"{config.Source}: cannot tell the CLIP patch grid from mm_vision_tower '{tower}'; add \"{FusionConfig.ConfigKey}\": {{\"clip\": {{\"grid\": [h, w]}}}}");
        var patch = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var size = match.Groups[2].Success ? int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) : 224;
        return Grid(size, patch, config.Source);
    }

    [GeneratedRegex(@"patch(\d+)(?:-(\d+))?$")]
    private static partial Regex TowerName();

    private static int[] Grid(int imageSize, int patchSize, string source)
    {
        if (patchSize <= 0 || imageSize <= 0 || imageSize % patchSize != 0)
            throw new InvalidDataException($"{source}: image_size {imageSize} is not a positive multiple of patch_size {patchSize}");
        return [imageSize / patchSize, imageSize / patchSize];
    }

    private static VisualFeatureSpec ClipSpec(int channels, int[] grid, int selectLayer, bool keepCls) => new()
    {
        Name = VisualFeatureSpec.ClipName,
        Source = VisualFeatureSource.Clip,
        Tokens = grid[0] * grid[1] + (keepCls ? 1 : 0),
        Channels = channels,
        GridHeight = grid[0],
        GridWidth = grid[1],
        ClipSelectLayer = selectLayer,
        ClipKeepCls = keepCls,
    };

    /// <summary>How this layout's checkpoint keys map onto <see cref="LlavaForConditionalGeneration"/>'s state dict
    /// (which uses llava-hf's names). Vision-tower keys belong to the CLIP service and are skipped; so are the
    /// rotary inv_freq buffers that transformers up to 4.31 saved.</summary>
    public KeyMapping KeyMapping()
    {
        var extras = Fusion is null ? [] : MustafarFusionModules.KeyPrefixes(Fusion)
            .Select(p => (Checkpoint: p.Checkpoint, Module: LlavaForConditionalGeneration.FusionModulesKey + "." + p.Module)).ToList();
        var language = LlavaForConditionalGeneration.LanguageModelKey + ".";
        Func<string, string> layoutRename = Layout switch
        {
            CheckpointLayout.LlavaHf => key => key,
            CheckpointLayout.LlavaOriginal => key =>
                key.StartsWith("model.mm_projector.0.", StringComparison.Ordinal) ? $"{LlavaForConditionalGeneration.ProjectorKey}.linear_1.{key["model.mm_projector.0.".Length..]}"
                : key.StartsWith("model.mm_projector.2.", StringComparison.Ordinal) ? $"{LlavaForConditionalGeneration.ProjectorKey}.linear_2.{key["model.mm_projector.2.".Length..]}"
                : language + key,
            _ => key => language + key,
        };
        return new KeyMapping
        {
            IgnorePrefixes = Layout switch
            {
                CheckpointLayout.LlavaHf => ["vision_tower."],
                CheckpointLayout.LlavaOriginal => ["model.vision_tower."],
                _ => [],
            },
            IgnoreSuffixes = [RotaryBuffer],
            Rename = key =>
            {
                foreach (var (checkpoint, module) in extras)
                    if (key.StartsWith(checkpoint, StringComparison.Ordinal)) return module + key[checkpoint.Length..];
                return layoutRename(key);
            },
            OptionalModuleKeys = Text.TieWordEmbeddings ? [language + LlamaForCausalLM.TiedHeadKey] : [],
        };
    }
}
