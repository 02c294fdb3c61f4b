using System.Text.Json;
using Mustafar.CheckpointWriters;
using Mustafar.Models.Checkpoints;
using Mustafar.Models.Clip;
using Mustafar.Models.Common;
using Mustafar.Models.Imaging;
using Mustafar.Testing;
using static TorchSharp.torch;

namespace Mustafar.Models.Tests.Clip;

/// <summary>
/// The real checkpoints' key lists (reference/real_keys) against the model built from the same config on the meta
/// device (shapes, no storage): every vision key maps, with the same shape, and nothing is missing or unexpected.
/// The configs are resolved through the same code a real folder goes through.
/// </summary>
public sealed class RealKeyLayoutTests : IDisposable
{
    private readonly string _root = RepoPaths.NewTempFolder("real-keys");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private sealed record KeyList(Dictionary<string, long[]> Keys, Dictionary<string, long[]> ExtraHubKeys, JsonElement Json);

    private static KeyList Read(string name)
    {
        var folder = ReferenceFixtures.Require("real_keys");
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, name + ".json")));
        var json = document.RootElement.Clone();
        static Dictionary<string, long[]> Shapes(JsonElement element, Func<JsonElement, JsonElement> shapeOf) =>
            element.EnumerateObject().ToDictionary(p => p.Name, p => shapeOf(p.Value).EnumerateArray().Select(d => d.GetInt64()).ToArray());
        var extra = json.TryGetProperty("possible_extra_keys_in_hub_file", out var e) ? Shapes(e, v => v.GetProperty("shape")) : [];
        return new KeyList(Shapes(json.GetProperty("keys"), v => v), extra, json);
    }

    /// <summary>A folder holding the real config as config.json (no weights: resolving reads configs only).</summary>
    private string ConfigFolder(string name, string? relative = null)
    {
        var folder = Path.Combine(_root, relative ?? name);
        Directory.CreateDirectory(folder);
        File.Copy(Path.Combine(ReferenceFixtures.Require("real_keys"), name + ".config.json"), Path.Combine(folder, "config.json"));
        return folder;
    }

    private static LoadPlan PlanOnMeta(ClipVisionSource source, IEnumerable<KeyValuePair<string, long[]>> checkpointKeys)
    {
        var keys = checkpointKeys.ToList();
        using var model = ModuleBuild.Build(META, ScalarType.Float32, (device, dtype) => new ClipVisionModel(source.Config, device, dtype));
        Assert.Equal(TorchSharp.DeviceType.META, model.parameters().First().device_type);
        return LoadPlan.Create(StateDictLoader.ShapesOf(model), keys, source.MappingFor(keys.Select(k => k.Key)));
    }

    private static void AssertComplete(LoadPlan plan, int expectedPairs)
    {
        Assert.True(plan.IsComplete, new CheckpointMismatchException("real keys", plan).Message);
        Assert.Equal(expectedPairs, plan.Pairs.Count);
    }

    [SkippableTheory]
    [InlineData("clip-vit-large-patch14-336.CLIPModel", ClipCheckpointLayout.ClipModel)]
    [InlineData("clip-vit-large-patch14-336.CLIPVisionModel", ClipCheckpointLayout.ClipVisionModel)]
    public void Clip_l_336_files_map_onto_the_model_built_from_their_config(string name, ClipCheckpointLayout layout)
    {
        var keys = Read(name);
        var source = ClipVisionSource.Resolve(ConfigFolder(name));
        Assert.Equal(layout, source.Layout);
        var visionKeys = keys.Keys.Keys.Count(k => k.StartsWith("vision_model.", StringComparison.Ordinal));

        // The keys as saved today, and with the position_ids buffers older hub files also hold.
        var plan = PlanOnMeta(source, keys.Keys);
        AssertComplete(plan, visionKeys);
        var withExtras = PlanOnMeta(source, keys.Keys.Concat(keys.ExtraHubKeys));
        AssertComplete(withExtras, visionKeys);
        Assert.Equal(plan.Ignored.Values.Sum() + keys.ExtraHubKeys.Count, withExtras.Ignored.Values.Sum());
    }

    [SkippableFact]
    public void The_vit_l_14_336_writer_preset_has_clip_l_336s_exact_keys_and_shapes()
    {
        var keys = Read("clip-vit-large-patch14-336.CLIPVisionModel").Keys;
        using var model = ModuleBuild.Build(META, ScalarType.Float32,
            (device, dtype) => new ClipVisionModel(TinyClipVisionCheckpoint.Preset("vit-l-14-336"), device, dtype));
        var shapes = StateDictLoader.ShapesOf(model);
        Assert.Equal(keys.Keys.Order(), shapes.Keys.Order());
        Assert.All(keys, kv => Assert.Equal(kv.Value, shapes[kv.Key]));
    }

    [SkippableFact]
    public void The_llava_hf_vision_tower_maps_onto_the_model_built_from_vision_config()
    {
        var keys = Read("llava-1.5-7b-hf");
        var source = ClipVisionSource.Resolve(ConfigFolder("llava-1.5-7b-hf"));
        Assert.Equal(ClipCheckpointLayout.LlavaHf, source.Layout);
        Assert.Equal((1024, 24, 336, 14), (source.Config.HiddenSize, source.Config.NumLayers, source.Config.ImageSize, source.Config.PatchSize));
        Assert.Equal(new ClipVisionDefaults(-2, ClipFeatureSelect.Patch, AspectFit.Pad), source.Defaults);

        var plan = PlanOnMeta(source, keys.Keys);
        AssertComplete(plan, keys.Keys.Keys.Count(k => k.StartsWith("vision_tower.", StringComparison.Ordinal)));
        Assert.Contains(plan.Pairs, p => p.CheckpointKey == "vision_tower.vision_model.post_layernorm.weight");
        Assert.True(plan.Ignored["language_model."] > 0 && plan.Ignored["multi_modal_projector."] == 4);

        // transformers 4.52+ nests everything under model. (lm_head aside): the same tower, another prefix.
        var nested = keys.Keys.ToDictionary(kv => kv.Key.StartsWith("language_model.lm_head", StringComparison.Ordinal) ? "lm_head.weight" : "model." + kv.Key, kv => kv.Value);
        AssertComplete(PlanOnMeta(source, nested), plan.Pairs.Count);
    }

    [SkippableFact]
    public void The_original_llava_layout_takes_its_tower_from_the_clip_folder_it_names()
    {
        var llavaKeys = Read("llava-v1.5-7b");
        var towerName = llavaKeys.Json.GetProperty("config").GetProperty("mm_vision_tower").GetString()!;
        var llava = ConfigFolder("llava-v1.5-7b", "checkpoints/llava-v1.5-7b");
        ConfigFolder("clip-vit-large-patch14-336.CLIPModel", Path.Combine("hub", towerName));

        Assert.False(ClipCheckpointKeys.HasOriginalLlavaTower(llavaKeys.Keys.Keys));
        var source = ClipVisionSource.Resolve(llava, new VisionTowerLocator([Path.Combine(_root, "hub")]));
        Assert.Equal(ClipCheckpointLayout.LlavaOriginal, source.Layout);
        Assert.Equal(ClipCheckpointLayout.ClipModel, source.WeightsLayout);
        Assert.Equal(Path.GetFullPath(Path.Combine(_root, "hub", towerName)), source.WeightsPath);
        Assert.Equal(new ClipVisionDefaults(-2, ClipFeatureSelect.Patch, AspectFit.Pad), source.Defaults);
        var clipKeys = Read("clip-vit-large-patch14-336.CLIPModel");
        AssertComplete(PlanOnMeta(source, clipKeys.Keys), clipKeys.Keys.Keys.Count(k => k.StartsWith("vision_model.", StringComparison.Ordinal)));

        // A self-trained checkpoint that saved its tower: LLaVA's names for it, next to the language model.
        var towerKeys = Read("clip-vit-large-patch14-336.CLIPVisionModel").Keys;
        var selfTrained = llavaKeys.Keys
            .Concat(towerKeys.Select(kv => KeyValuePair.Create("model.vision_tower.vision_tower." + kv.Key, kv.Value)))
            .ToList();
        Assert.True(ClipCheckpointKeys.HasOriginalLlavaTower(selfTrained.Select(k => k.Key)));
        var own = source with { WeightsPath = llava, WeightsLayout = ClipCheckpointLayout.LlavaOriginal };
        AssertComplete(PlanOnMeta(own, selfTrained), towerKeys.Count);
    }
}
