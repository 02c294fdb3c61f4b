using System.Text.Json.Nodes;
using Mustafar.CheckpointWriters.RealSize;
using Mustafar.Models.Clip;
using Mustafar.Models.Diffusion;
using Mustafar.Models.Fusion;
using Mustafar.Models.Generation;
using static TorchSharp.torch;

namespace Mustafar.Models.Tests.Demo;

/// <summary>The real-size writer run on the real configs with their sizes shrunk (the real sizes are ~10 GB): what
/// it writes loads with the services' own loaders, the three agree on every feature shape, and what the sizes do
/// not touch (layouts, vocabularies, the fusion extension, the layer count asked for) stays as the real configs say.</summary>
public sealed class RealSizeCheckpointsTests : IDisposable
{
    private readonly string _folder = RepoPaths.NewTempFolder("real-size");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Small_configs_of_the_real_layouts_load_with_every_services_loader()
    {
        var real = RealSizeConfigs.Load(Path.Combine(RepoPaths.Root, RealSizeConfigs.ReferenceFolder));
        var written = RealSizeCheckpoints.Ensure(_folder, Shrink(real), new RealSizeCheckpoints.Options(Layers: 3, Seed: 5));

        using var clip = ClipVisionEncoder.Load(written.Paths.Clip, "cpu", ScalarType.Float32);
        using var diffusion = StableDiffusionFeatureExtractor.Load(written.Paths.Diffusion);
        using var generator = GeneratorModel.Load(written.Paths.Generator);

        Assert.False(written.Reused);
        Assert.Equal(FusionKind.CrossAttention, generator.Info.FusionMode);
        Assert.Equal(3, generator.Config.Text.NumHiddenLayers);
        Assert.Equal(real.Llava["text_config"]!["vocab_size"]!.GetValue<int>(), generator.Info.VocabSize);
        Assert.Equal(real.TextEncoder["vocab_size"]!.GetValue<int>(), diffusion.TextEncoder.Config.VocabSize);
        Assert.Equal(diffusion.Info.Taps.Single(t => t.Name == DiffusionFeatureOptions.PaperTap), written.Tap);
        foreach (var spec in generator.Info.ExpectedFeatures)
        {
            var (tokens, channels) = spec.Source == VisualFeatureSource.Clip
                ? (clip.Info.GridHeight * clip.Info.GridWidth, clip.Info.HiddenSize)
                : (written.Tap.GridHeight * written.Tap.GridWidth, written.Tap.Channels);
            Assert.Equal((tokens, channels), (spec.Tokens, spec.Channels));
        }
        Assert.True(RealSizeCheckpoints.Ensure(_folder, Shrink(real), new RealSizeCheckpoints.Options(Layers: 3, Seed: 5)).Reused);
    }

    /// <summary>The real configs with only their widths, depths and image sizes made small.</summary>
    private static RealSizeConfigs Shrink(RealSizeConfigs real)
    {
        JsonObject With(JsonObject config, params (string Key, JsonNode Value)[] changes)
        {
            var copy = config.DeepClone().AsObject();
            foreach (var (key, value) in changes) copy[key] = value;
            return copy;
        }
        var llava = real.Llava.DeepClone().AsObject();
        llava["vision_config"] = With(llava["vision_config"]!.AsObject(), ("hidden_size", 32), ("intermediate_size", 64), ("num_hidden_layers", 2),
            ("num_attention_heads", 4), ("image_size", 28), ("patch_size", 4));
        return real with
        {
            Llava = llava,
            Vicuna = With(real.Vicuna, ("hidden_size", 64), ("intermediate_size", 128), ("num_attention_heads", 4), ("num_key_value_heads", 4),
                ("max_position_embeddings", 512)),
            TextEncoder = With(real.TextEncoder, ("hidden_size", 32), ("intermediate_size", 64), ("num_hidden_layers", 2), ("num_attention_heads", 4)),
            Vae = With(real.Vae, ("block_out_channels", new JsonArray(16, 32, 32, 32)), ("norm_num_groups", 8), ("sample_size", 64)),
            UNet = With(real.UNet, ("block_out_channels", new JsonArray(16, 32, 32, 32)), ("attention_head_dim", new JsonArray(2, 4, 4, 4)),
                ("norm_num_groups", 8), ("cross_attention_dim", 32), ("sample_size", 8)),
        };
    }
}
