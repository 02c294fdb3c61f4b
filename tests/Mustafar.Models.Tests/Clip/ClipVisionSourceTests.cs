using System.Text.Json.Nodes;
using Mustafar.Models.Checkpoints;
using Mustafar.Models.Clip;
using Mustafar.Testing;

namespace Mustafar.Models.Tests.Clip;

/// <summary>How configs become a vision tower description, without weights.</summary>
public sealed class ClipVisionSourceTests : IDisposable
{
    private readonly string _root = RepoPaths.NewTempFolder("clip-source");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string WithConfig(string name, string json)
    {
        var folder = Path.Combine(_root, name);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), json);
        return folder;
    }

    [Fact]
    public void Missing_keys_take_clip_vision_config_defaults()
    {
        var config = ClipVisionConfig.From(new HfConfig(new JsonObject(), "config.json"));
        Assert.Equal((768, 3072, 12, 12, "quick_gelu", 1e-5), (config.HiddenSize, config.Encoder.IntermediateSize, config.NumLayers, config.Encoder.NumAttentionHeads, config.Encoder.HiddenAct, config.Encoder.LayerNormEps));
        Assert.Equal((224, 32, 3, 7, 50), (config.ImageSize, config.PatchSize, config.NumChannels, config.GridSize, config.NumPositions));
    }

    [Fact]
    public void A_llava_hf_config_without_vision_config_gets_llavas_clip_l_336_tower()
    {
        var source = ClipVisionSource.Resolve(WithConfig("llava", """{"model_type": "llava", "text_config": {"model_type": "llama"}}"""));
        Assert.Equal(ClipCheckpointLayout.LlavaHf, source.Layout);
        Assert.Equal((1024, 24, 16, 336, 14), (source.Config.HiddenSize, source.Config.NumLayers, source.Config.Encoder.NumAttentionHeads, source.Config.ImageSize, source.Config.PatchSize));
        Assert.Equal(336, source.Preprocessing.CropHeight);
    }

    [Fact]
    public void The_architecture_names_the_kind_when_model_type_is_absent()
    {
        var source = ClipVisionSource.Resolve(WithConfig("clip", """{"architectures": ["CLIPModel"], "vision_config": {"hidden_size": 64, "num_attention_heads": 4, "image_size": 32, "patch_size": 8}}"""));
        Assert.Equal(ClipCheckpointLayout.ClipModel, source.Layout);
        Assert.Equal((64, 32, 8), (source.Config.HiddenSize, source.Config.ImageSize, source.Config.PatchSize));
    }

    [Fact]
    public void Other_models_and_towers_are_refused_by_name()
    {
        Assert.Contains("'llama'", Assert.Throws<NotSupportedException>(() => ClipVisionSource.Resolve(WithConfig("llama", """{"model_type": "llama"}"""))).Message, StringComparison.Ordinal);
        Assert.Contains("siglip_vision_model", Assert.Throws<NotSupportedException>(() => ClipVisionSource.Resolve(WithConfig("siglip",
            """{"model_type": "llava", "vision_config": {"model_type": "siglip_vision_model"}}"""))).Message, StringComparison.Ordinal);
        Assert.Contains("anyres", Assert.Throws<NotSupportedException>(() => ClipVisionSource.Resolve(WithConfig("next",
            """{"model_type": "llava", "mm_vision_tower": "../clip", "image_aspect_ratio": "anyres"}"""))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_llava_folder_naming_itself_as_its_tower_is_refused()
    {
        var llava = WithConfig("llava", """{"model_type": "llava", "mm_vision_tower": "."}""");
        Assert.Contains("not a CLIP one", Assert.Throws<InvalidDataException>(() => ClipVisionSource.Resolve(llava)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_hub_cache_layout_is_searched_at_the_revision_refs_main_names()
    {
        var repo = Path.Combine(_root, "cache", "models--openai--clip-vit-large-patch14-336");
        foreach (var revision in new[] { "aaa111", "bbb222" })
            WithConfig(Path.Combine(repo, "snapshots", revision), "{}");
        Directory.CreateDirectory(Path.Combine(repo, "refs"));
        File.WriteAllText(Path.Combine(repo, "refs", "main"), "bbb222\n");

        var located = new VisionTowerLocator([Path.Combine(_root, "cache")]).Locate("openai/clip-vit-large-patch14-336", Path.Combine(_root, "llava"));
        Assert.Equal(Path.Combine(repo, "snapshots", "bbb222"), located);
    }

    [Fact]
    public void A_tower_path_relative_to_the_llava_folder_is_found_first()
    {
        var tower = WithConfig("clip-tower", "{}");
        WithConfig(Path.Combine("roots", "clip-tower"), "{}");
        var located = new VisionTowerLocator([Path.Combine(_root, "roots")]).Locate("../clip-tower", Path.Combine(_root, "llava"));
        Assert.Equal(tower, located);
    }
}
