using System.Text.Json.Nodes;
using Mustafar.CheckpointWriters;
using Mustafar.Models.Checkpoints;
using Mustafar.Models.Clip;
using Mustafar.Models.Imaging;
using Mustafar.Models.Tests.Imaging;
using Mustafar.Tensors;
using Mustafar.Testing;
using SixLabors.ImageSharp.Formats.Png;
using static TorchSharp.torch;

namespace Mustafar.Models.Tests.Clip;

/// <summary>Loading every layout from files the tiny writer makes, and the service-facing API.</summary>
public sealed class ClipVisionEncoderTests : IDisposable
{
    private readonly string _root = RepoPaths.NewTempFolder("clip-encoder");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Folder(string name) => Path.Combine(_root, name);

    /// <summary>Seeded pixels in the tiny preset's input size.</summary>
    private static Tensor Pixels(int batch = 2)
    {
        using var generator = new TorchSharp.torch.Generator(42);
        var size = TinyClipVisionCheckpoint.Preset(ClipLayoutFolders.Preset).ImageSize;
        return randn([batch, 3, size, size], generator: generator);
    }

    private static Tensor Features(string folder, ClipVisionEncoderOptions? options = null, int? selectLayer = -2, ClipFeatureSelect? select = ClipFeatureSelect.Patch)
    {
        using var encoder = ClipVisionEncoder.Load(folder, options);
        return encoder.Encode(Pixels(), selectLayer, select).to(float32);
    }

    [Fact]
    public void The_writer_is_deterministic_per_seed()
    {
        ClipLayoutFolders.VisionModel(Folder("a"), seed: 5);
        ClipLayoutFolders.VisionModel(Folder("b"), seed: 5);
        ClipLayoutFolders.VisionModel(Folder("c"), seed: 6);
        var a = File.ReadAllBytes(Path.Combine(Folder("a"), "model.safetensors"));
        Assert.Equal(a, File.ReadAllBytes(Path.Combine(Folder("b"), "model.safetensors")));
        Assert.NotEqual(a, File.ReadAllBytes(Path.Combine(Folder("c"), "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(Folder("a"), "preprocessor_config.json")));
    }

    [Fact]
    public void Every_layout_loads_the_same_tower()
    {
        using var scope = NewDisposeScope();
        var expected = Features(ClipLayoutFolders.VisionModel(Folder("vision")));
        Assert.Equal([2, 49, 32], expected.shape);

        TinyClipVisionCheckpoint.Write(Folder("sharded"), ClipLayoutFolders.Preset, seed: 1, maxShardBytes: 20_000);
        Assert.True(Directory.GetFiles(Folder("sharded"), "model-*-of-*.safetensors").Length > 2);
        Assert.Equal(0, TensorAssert.MaxAbsDiff(expected, Features(Folder("sharded"))));

        foreach (var (folder, layout) in new[]
        {
            (ClipLayoutFolders.ClipModel(Folder("clip")), ClipCheckpointLayout.ClipModel),
            (ClipLayoutFolders.LlavaHf(Folder("llava-hf")), ClipCheckpointLayout.LlavaHf),
            (ClipLayoutFolders.LlavaHf(Folder("llava-hf-nested"), nested: true), ClipCheckpointLayout.LlavaHf),
        })
        {
            using var encoder = ClipVisionEncoder.Load(folder);
            Assert.Equal(layout, encoder.Info.Layout);
            Assert.Equal(0, TensorAssert.MaxAbsDiff(expected, encoder.Encode(Pixels(), -2, ClipFeatureSelect.Patch)));
        }
    }

    [Fact]
    public void Original_llava_finds_its_tower_and_takes_its_settings_from_the_llava_config()
    {
        using var scope = NewDisposeScope();
        ClipLayoutFolders.VisionModel(Path.Combine(_root, "hub", "org", "tiny-clip"));
        var llava = ClipLayoutFolders.LlavaOriginal(Folder("llava"), "org/tiny-clip", new JsonObject
        {
            ["mm_vision_select_layer"] = -3,
            ["mm_vision_select_feature"] = "cls_patch",
            ["image_aspect_ratio"] = "pad",
        });
        var options = new ClipVisionEncoderOptions { VisionTowerSearchPaths = [Path.Combine(_root, "hub")] };

        using var encoder = ClipVisionEncoder.Load(llava, options);
        Assert.Equal(ClipCheckpointLayout.LlavaOriginal, encoder.Info.Layout);
        Assert.Equal(new ClipVisionDefaults(-3, ClipFeatureSelect.ClsPatch, AspectFit.Pad), encoder.Info.Defaults);
        var expected = Features(Path.Combine(_root, "hub", "org", "tiny-clip"), selectLayer: -3, select: ClipFeatureSelect.ClsPatch);
        Assert.Equal(0, TensorAssert.MaxAbsDiff(expected, encoder.Encode(Pixels())));
    }

    [Fact]
    public void A_self_trained_llava_checkpoint_loads_the_tower_it_saved()
    {
        using var scope = NewDisposeScope();
        ClipLayoutFolders.VisionModel(Path.Combine(_root, "hub", "tiny-clip"), seed: 1);
        var llava = ClipLayoutFolders.LlavaOriginal(Folder("llava"), "tiny-clip", new JsonObject { ["mm_vision_select_layer"] = -2 }, towerSeed: 9);

        var options = new ClipVisionEncoderOptions { VisionTowerSearchPaths = [Path.Combine(_root, "hub")] };
        var trained = Features(llava, options);
        var fromItsOwnSeed = Features(ClipLayoutFolders.VisionModel(Folder("seed9"), seed: 9));
        Assert.Equal(0, TensorAssert.MaxAbsDiff(fromItsOwnSeed, trained));
    }

    [Fact]
    public void A_missing_vision_tower_lists_where_it_was_looked_for()
    {
        var llava = ClipLayoutFolders.LlavaOriginal(Folder("llava"), "openai/clip-vit-large-patch14-336", []);
        var error = Assert.Throws<DirectoryNotFoundException>(() => ClipVisionEncoder.Load(llava, new ClipVisionEncoderOptions { VisionTowerSearchPaths = [Folder("models")] }));
        Assert.Contains(Path.Combine(Folder("models"), "openai", "clip-vit-large-patch14-336"), error.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(Folder("models"), "clip-vit-large-patch14-336"), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Llava_hf_settings_come_from_its_config()
    {
        var folder = ClipLayoutFolders.LlavaHf(Folder("llava-hf"), extraConfig: new JsonObject
        {
            ["vision_feature_layer"] = -1,
            ["vision_feature_select_strategy"] = "full",
        });
        using var encoder = ClipVisionEncoder.Load(folder);
        Assert.Equal(new ClipVisionDefaults(-1, ClipFeatureSelect.ClsPatch, AspectFit.Pad), encoder.Info.Defaults);
        Assert.Equal(new ClipFeatureRequest(3, ClipFeatureSelect.ClsPatch, 50), encoder.Resolve());
    }

    [Fact]
    public void Old_position_ids_are_ignored_and_other_stray_or_missing_keys_fail_with_their_names()
    {
        using var scope = NewDisposeScope();
        var config = TinyClipVisionCheckpoint.Preset(ClipLayoutFolders.Preset);
        var folder = ClipLayoutFolders.VisionModel(Folder("clip"));
        var weights = TinyClipVisionCheckpoint.RandomWeights(config, 1);
        weights["vision_model.embeddings.position_ids"] = arange(config.NumPositions, dtype: int64).unsqueeze(0);
        SafetensorsWriter.Write(Path.Combine(folder, "model.safetensors"), weights);
        using (var encoder = ClipVisionEncoder.Load(folder))
            Assert.Equal(1, encoder.LoadReport.Ignored["embeddings.position_ids"]);

        weights.Remove("vision_model.post_layernorm.bias");
        weights["vision_model.encoder.layers.0.self_attn.rotary.weight"] = ones(2);
        SafetensorsWriter.Write(Path.Combine(folder, "model.safetensors"), weights);
        var error = Assert.Throws<CheckpointMismatchException>(() => ClipVisionEncoder.Load(folder));
        Assert.Equal(["vision_model.post_layernorm.bias"], error.Plan.Missing);
        Assert.Equal(["vision_model.encoder.layers.0.self_attn.rotary.weight"], error.Plan.Unexpected);
    }

    [Theory]
    [InlineData(ScalarType.Float16, 2e-2)]
    [InlineData(ScalarType.BFloat16, 1e-1)]
    public void Half_precision_is_built_directly_and_stays_close_to_float32(ScalarType dtype, double tolerance)
    {
        using var scope = NewDisposeScope();
        var folder = ClipLayoutFolders.VisionModel(Folder("clip"));
        var reference = Features(folder);
        using var encoder = ClipVisionEncoder.Load(folder, new ClipVisionEncoderOptions { DType = dtype });
        Assert.Equal(dtype, encoder.Info.ComputeDType);
        var features = encoder.Encode(Pixels(), -2, ClipFeatureSelect.Patch);
        Assert.Equal(dtype, features.dtype);
        TensorAssert.Close(reference, features, tolerance, dtype.ToString());
    }

    [Fact]
    public void Encoding_stops_after_the_selected_layer()
    {
        using var scope = NewDisposeScope();
        var folder = ClipLayoutFolders.VisionModel(Folder("clip"));
        using var encoder = ClipVisionEncoder.Load(folder);
        var layers = encoder.Info.NumLayers;
        // Poison the last layer: a forward that ran it would return NaN.
        using (no_grad())
            foreach (var (name, parameter) in encoder.Model.named_parameters())
                if (name.StartsWith($"vision_model.encoder.layers.{layers - 1}.", StringComparison.Ordinal)) parameter.fill_(double.NaN);

        Assert.False(encoder.Encode(Pixels(), -2, ClipFeatureSelect.Patch).isnan().any().item<bool>());
        Assert.True(encoder.Encode(Pixels(), -1, ClipFeatureSelect.Patch).isnan().any().item<bool>());
    }

    [Theory]
    [InlineData(4)]
    [InlineData(-5)]
    public void A_select_layer_outside_the_tower_is_the_callers_mistake(int selectLayer)
    {
        using var encoder = ClipVisionEncoder.Load(ClipLayoutFolders.VisionModel(Folder("clip")));
        var error = Assert.Throws<InvalidInputException>(() => encoder.Encode(Pixels(), selectLayer, null));
        Assert.Equal("select_layer", error.Field);
        Assert.Contains("-4..3", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_batch_mixing_layers_and_token_selections_gives_each_row_its_own_features()
    {
        using var scope = NewDisposeScope();
        var folder = ClipLayoutFolders.VisionModel(Folder("clip"));
        using var encoder = ClipVisionEncoder.Load(folder);
        var wide = RgbImages.Encode(RgbImages.Pattern(60, 30, seed: 1), new PngEncoder());
        var tall = RgbImages.Encode(RgbImages.Pattern(20, 45, seed: 2), new PngEncoder());
        var images = new[] { encoder.Preprocess(wide), encoder.Preprocess(tall), encoder.Preprocess(wide) };
        var requests = new[]
        {
            encoder.Resolve(-2, ClipFeatureSelect.Patch),
            encoder.Resolve(0, ClipFeatureSelect.ClsPatch),
            encoder.Resolve(-1, ClipFeatureSelect.ClsPatch),
        };

        var rows = encoder.EncodeEach(images, requests);

        Assert.Equal(3, rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            var alone = encoder.Encode([images[i]], requests[i].HiddenStateIndex, requests[i].SelectFeature)[0];
            Assert.Equal([requests[i].TokenCount, encoder.Info.HiddenSize], rows[i].shape);
            TensorAssert.Close(alone, rows[i], 1e-5, $"row {i}");
        }
        Assert.Throws<ArgumentException>(() => encoder.EncodeEach(images, requests[..2]));
        Assert.Equal("options.select_layer", Assert.Throws<InvalidInputException>(() => encoder.Resolve(7, null, "options.select_layer")).Field);
    }

    [Fact]
    public void Image_bytes_go_through_preprocessing_into_a_batch()
    {
        using var scope = NewDisposeScope();
        using var encoder = ClipVisionEncoder.Load(ClipLayoutFolders.VisionModel(Folder("clip")));
        var info = encoder.Info;
        Assert.Equal((32, 3, 28, 4, 7, 7), (info.HiddenSize, info.NumLayers, info.ImageSize, info.PatchSize, info.GridHeight, info.GridWidth));
        Assert.Equal(AspectFit.Pad, info.Defaults.Aspect);
        Assert.Equal(("cpu", ScalarType.Float32), (info.Device, info.ComputeDType));
        Assert.Equal(49, info.TokenCount(ClipFeatureSelect.Patch));

        var wide = RgbImages.Encode(RgbImages.Pattern(60, 30, seed: 1), new PngEncoder());
        var tall = RgbImages.Encode(RgbImages.Pattern(20, 45, seed: 2), new PngEncoder());
        var images = new[] { encoder.Preprocess(wide), encoder.Preprocess(tall, AspectFit.Crop) };
        Assert.Equal((60, 30, AspectFit.Pad), (images[0].SourceWidth, images[0].SourceHeight, images[0].Aspect));

        var batch = encoder.Encode(images);
        Assert.Equal([2, 49, 32], batch.shape);
        // Each image alone gives the same features as inside the batch.
        for (var i = 0; i < 2; i++)
            TensorAssert.Close(encoder.Encode([images[i]]), batch[i..(i + 1)], 1e-5, $"image {i}");
        Assert.Throws<InvalidInputException>(() => encoder.Preprocess(new byte[] { 1, 2, 3 }));
    }

    [Fact]
    public void An_impossible_default_select_layer_fails_at_load()
    {
        var folder = ClipLayoutFolders.VisionModel(Folder("clip"));
        var error = Assert.Throws<InvalidDataException>(() => ClipVisionEncoder.Load(folder, new ClipVisionEncoderOptions { DefaultSelectLayer = 7 }));
        Assert.Contains("default select layer 7", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Preprocessing_that_does_not_fit_the_tower_fails_at_load()
    {
        var folder = ClipLayoutFolders.VisionModel(Folder("clip"));
        File.WriteAllText(Path.Combine(folder, "preprocessor_config.json"), ClipImageProcessorConfig.ForImageSize(32).ToJson().ToJsonString());
        var error = Assert.Throws<InvalidDataException>(() => ClipVisionEncoder.Load(folder));
        Assert.Contains("32x32", error.Message, StringComparison.Ordinal);
    }
}
