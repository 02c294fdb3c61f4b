using System.Text.Json.Nodes;
using Mustafar.Models.Checkpoints;
using Mustafar.Models.Fusion;
using Mustafar.Models.Generation;

namespace Mustafar.Models.Tests.Fusion;

/// <summary>Reading the mustafar_fusion extension and the LLaVA keys it builds on.</summary>
public sealed class FusionConfigTests
{
    private static JsonObject LlavaHf(JsonObject? fusion = null)
    {
        var config = new JsonObject
        {
            ["architectures"] = new JsonArray("LlavaForConditionalGeneration"),
            ["model_type"] = "llava",
            ["text_config"] = new JsonObject { ["hidden_size"] = 64, ["num_attention_heads"] = 4, ["num_hidden_layers"] = 1, ["intermediate_size"] = 32, ["vocab_size"] = 100 },
            ["vision_config"] = new JsonObject { ["hidden_size"] = 32, ["image_size"] = 336, ["patch_size"] = 14 },
        };
        if (fusion is not null) config[FusionConfig.ConfigKey] = fusion;
        return config;
    }

    private static GeneratorCheckpointConfig Parse(JsonObject config) => GeneratorCheckpointConfig.Parse(new HfConfig(config, "config.json"));

    private static JsonObject Diffusion() => new() { ["tap"] = "U-L1-R1-B0-Cross-Q", ["channels"] = 1280, ["grid"] = new JsonArray(16, 16) };

    [Fact]
    public void Without_the_extension_a_llava_checkpoint_is_clip_only_with_llava_15_features()
    {
        var config = Parse(LlavaHf());
        Assert.Equal(FusionKind.ClipOnly, config.Fusion!.Mode);
        var clip = Assert.Single(config.Fusion.ExpectedFeatures);
        Assert.Equal((576, 32, 24, -2, false), (clip.Tokens, clip.Channels, clip.GridHeight, clip.ClipSelectLayer, clip.ClipKeepCls));
        Assert.Equal(32000, config.ImageTokenId);
    }

    [Fact]
    public void Vision_defaults_follow_transformers_whether_vision_config_is_absent_or_partial()
    {
        var absent = LlavaHf();
        absent.Remove("vision_config");
        var clip = Parse(absent).Fusion!.Clip;
        Assert.Equal((576, 1024), (clip.Tokens, clip.Channels));   // LlavaConfig's default tower, CLIP-L/14-336
        var partial = LlavaHf();
        partial["vision_config"] = new JsonObject { ["model_type"] = "clip_vision_model" };
        clip = Parse(partial).Fusion!.Clip;
        Assert.Equal((49, 768), (clip.Tokens, clip.Channels));     // CLIPVisionConfig's defaults: 224 / 32, width 768
    }

    [Fact]
    public void The_extension_names_the_mode_the_diffusion_tap_and_the_module_settings()
    {
        var fusion = Parse(LlavaHf(new JsonObject
        {
            ["mode"] = "cross-attention",
            ["diffusion"] = Diffusion(),
            ["cross_attention"] = new JsonObject { ["num_attention_heads"] = 8 },
            ["weights"] = new JsonObject { ["cross_attention"] = "model.mm_cross." },
        })).Fusion!;
        Assert.Equal(FusionKind.CrossAttention, fusion.Mode);
        Assert.Equal((256, 1280, "U-L1-R1-B0-Cross-Q"), (fusion.Diffusion!.Tokens, fusion.Diffusion.Channels, fusion.Diffusion.DiffusionTap));
        Assert.Equal((8, "model.mm_cross."), (fusion.CrossAttentionHeads, fusion.CrossAttentionPrefix));
        Assert.Equal(576, fusion.ImageTokens);
    }

    [Fact]
    public void Concat_tokens_adds_the_diffusion_tokens_and_concat_channels_widens_the_projector()
    {
        var tokens = Parse(LlavaHf(new JsonObject { ["mode"] = "concat-tokens", ["diffusion"] = Diffusion() })).Fusion!;
        Assert.Equal(576 + 256, tokens.ImageTokens);
        var channels = Parse(LlavaHf(new JsonObject { ["mode"] = "concat-channels", ["diffusion"] = Diffusion() })).Fusion!;
        Assert.Equal((576, 32 + 1280), (channels.ImageTokens, channels.ProjectorInputChannels));
    }

    public static TheoryData<JsonObject, string> BadExtensions => new()
    {
        { new JsonObject { ["mode"] = "sum" }, "fusion mode 'sum'" },
        { new JsonObject { ["mode"] = "concat-tokens" }, "'channels' is required" },
        { new JsonObject { ["mode"] = "concat-tokens", ["diffusion"] = new JsonObject { ["tap"] = "x", ["channels"] = 4, ["grid"] = new JsonArray(4) } }, "grid" },
        { new JsonObject { ["mode"] = "cross-attention", ["diffusion"] = Diffusion() }, "'num_attention_heads' is required" },
        { new JsonObject { ["mode"] = "concat-channels", ["diffusion"] = Diffusion(), ["concat_channels"] = new JsonObject { ["resize"] = "lanczos" } }, "resize 'lanczos'" },
        { new JsonObject { ["format_version"] = 2, ["mode"] = "clip-only" }, "format_version 2" },
    };

    [Theory]
    [MemberData(nameof(BadExtensions))]
    public void Bad_extensions_fail_at_load_with_the_reason(JsonObject extension, string reason)
    {
        var error = Assert.ThrowsAny<InvalidDataException>(() => Parse(LlavaHf(extension)));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_original_layout_reads_the_clip_grid_from_the_tower_name_or_the_extension()
    {
        JsonObject Original(string tower) => new()
        {
            ["architectures"] = new JsonArray("LlavaLlamaForCausalLM"), ["model_type"] = "llava", ["hidden_size"] = 64, ["num_attention_heads"] = 4,
            ["mm_hidden_size"] = 1024, ["mm_projector_type"] = "mlp2x_gelu", ["mm_vision_select_layer"] = -2, ["mm_vision_tower"] = tower,
        };
        Assert.Equal(24, Parse(Original("openai/clip-vit-large-patch14-336")).Fusion!.Clip.GridHeight);
        Assert.Equal(16, Parse(Original("openai/clip-vit-large-patch14")).Fusion!.Clip.GridHeight);
        Assert.Contains("cannot tell the CLIP patch grid", Assert.Throws<InvalidDataException>(() => Parse(Original("my/tower"))).Message, StringComparison.Ordinal);
        var explicitGrid = Original("my/tower");
        explicitGrid[FusionConfig.ConfigKey] = new JsonObject { ["mode"] = "clip-only", ["clip"] = new JsonObject { ["grid"] = new JsonArray(12, 12) } };
        Assert.Equal(144, Parse(explicitGrid).Fusion!.Clip.Tokens);
        var linear = Original("openai/clip-vit-large-patch14-336");
        linear["mm_projector_type"] = "linear";
        Assert.Throws<NotSupportedException>(() => Parse(linear));
    }
}
