using System.Text.Json;
using Mustafar.Models.Checkpoints;
using Mustafar.Models.Diffusion.TextEncoder;
using Mustafar.Models.Diffusion.UNet;
using Mustafar.Models.Diffusion.Vae;
using Mustafar.Testing;
using TorchSharp;
using static TorchSharp.torch;

namespace Mustafar.Models.Tests.Diffusion;

/// <summary>The real SD 2.1-base key layouts (real_keys/) map onto models built from the same configs on the
/// meta device: no weights, no memory, every key and shape checked.</summary>
[Collection(MetaDeviceCollection.Name)]
public sealed class RealKeyLayoutTests
{
    private static (HfConfig Config, List<KeyValuePair<string, long[]>> Keys, JsonElement Root) Real(string name)
    {
        var folder = ReferenceFixtures.Require("real_keys");
        var config = HfConfig.Load(Path.Combine(folder, $"{name}.config.json"));
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, $"{name}.json")));
        var root = document.RootElement.Clone();
        var keys = root.GetProperty("keys").EnumerateObject()
            .Select(p => KeyValuePair.Create(p.Name, p.Value.EnumerateArray().Select(d => d.GetInt64()).ToArray()))
            .ToList();
        return (config, keys, root);
    }

    private static LoadPlan Plan(nn.Module module, IEnumerable<KeyValuePair<string, long[]>> keys, KeyMapping mapping)
    {
        var plan = LoadPlan.Create(StateDictLoader.ShapesOf(module), keys, mapping);
        Assert.True(plan.IsComplete, new CheckpointMismatchException("real_keys", plan).Message);
        return plan;
    }

    [SkippableFact]
    public void Sd21_base_unet_keys_map_with_the_same_shapes()
    {
        var (config, keys, _) = Real("sd21base.unet");
        using var unet = UNetLoader.Build(config, META, float32);
        var plan = Plan(unet, keys, KeyMapping.Exact);
        Assert.Equal(keys.Count, plan.Pairs.Count);
        // The paper's best tap at 512 px (64x64 latent): 16x16 x 1280.
        var tap = unet.Catalog.Describe(64, 64).Single(t => t.Name == "U-L1-R1-B0-Cross-Q");
        Assert.Equal((16, 16, 1280), (tap.GridHeight, tap.GridWidth, tap.Channels));
        Assert.Equal("up_blocks.1.attentions.1.transformer_blocks.0.attn2.to_q", tap.ModulePath);
    }

    [SkippableFact]
    public void Sd21_base_vae_encoder_keys_map_under_both_attention_name_sets_and_the_decoder_is_skipped()
    {
        var (config, keys, root) = Real("sd21base.vae");
        using var vae = VaeEncoderLoader.Build(config, META, float32);
        var plan = Plan(vae, keys, VaeEncoderLoader.Mapping);
        Assert.True(plan.Ignored["decoder."] > 0);
        Assert.Equal(vae.state_dict().Count, plan.Pairs.Count);

        var aliases = root.GetProperty("legacy_key_aliases").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        var legacy = keys.Select(kv => KeyValuePair.Create(aliases.GetValueOrDefault(kv.Key, kv.Key), kv.Value)).ToList();
        Assert.Contains(legacy, kv => kv.Key == "encoder.mid_block.attentions.0.query.weight");
        Plan(vae, legacy, VaeEncoderLoader.Mapping);
    }

    [SkippableFact]
    public void Sd21_base_text_encoder_keys_map_and_an_old_position_ids_buffer_is_dropped()
    {
        var (config, keys, root) = Real("sd21base.text_encoder");
        using var encoder = ClipTextEncoderLoader.Build(config, META, float32);
        Assert.Equal(23, encoder.Config.Encoder.NumHiddenLayers);
        var withExtras = keys.Concat(root.GetProperty("possible_extra_keys_in_hub_file").EnumerateObject()
            .Select(p => KeyValuePair.Create(p.Name, p.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray())));
        var plan = Plan(encoder, withExtras, ClipTextEncoderLoader.Mapping);
        Assert.Equal(keys.Count, plan.Pairs.Count);
        Assert.Equal(1, plan.Ignored["embeddings.position_ids"]);
    }
}
