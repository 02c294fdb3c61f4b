using Mustafar.Models.Checkpoints;

namespace Mustafar.Models.Diffusion.UNet;

/// <summary>
/// diffusers' UNet2DConditionModel config, restricted to what Stable Diffusion 1.x/2.x use. Per-block values may
/// be given as one number or as a list per down block. Quirk kept from diffusers: <c>attention_head_dim</c> is the
/// NUMBER OF HEADS (num_attention_heads = attention_head_dim when num_attention_heads is null), so SD 2.1's
/// [5, 10, 20, 20] means 5..20 heads of 64 channels. Options that change the architecture in ways not
/// implemented here fail at load with the key named, rather than being silently ignored.
/// </summary>
public sealed record UNet2DConditionConfig(
    int InChannels,
    int OutChannels,
    int[] BlockOutChannels,
    string[] DownBlockTypes,
    string[] UpBlockTypes,
    int[] LayersPerBlock,
    int[] TransformerLayersPerBlock,
    int[] CrossAttentionDim,
    int[] NumAttentionHeads,
    int NormNumGroups,
    double NormEps,
    string ActFn,
    bool UseLinearProjection,
    bool UpcastAttention,
    bool FlipSinToCos,
    double FreqShift,
    int TimeEmbedDim,
    int ConvInKernel,
    int ConvOutKernel,
    int DownsamplePadding,
    double MidBlockScaleFactor,
    int SampleSize)
{
    public const string CrossAttnDown = "CrossAttnDownBlock2D";
    public const string PlainDown = "DownBlock2D";
    public const string CrossAttnUp = "CrossAttnUpBlock2D";
    public const string PlainUp = "UpBlock2D";

    /// <summary>GroupNorm eps inside Transformer2DModel, fixed in diffusers (not norm_eps).</summary>
    public const double TransformerGroupNormEps = 1e-6;

    /// <summary>LayerNorm eps of BasicTransformerBlock (diffusers' default norm_eps there).</summary>
    public const double TransformerLayerNormEps = 1e-5;

    public int BlockCount => BlockOutChannels.Length;

    public static UNet2DConditionConfig From(HfConfig config)
    {
        var blocks = config.IntArray("block_out_channels", [320, 640, 1280, 1280]);
        var count = blocks.Length;
        var down = config.StringArray("down_block_types", [CrossAttnDown, CrossAttnDown, CrossAttnDown, PlainDown]);
        var up = config.StringArray("up_block_types", [PlainUp, CrossAttnUp, CrossAttnUp, CrossAttnUp]);
        RequireDefaults(config);
        if (down.Length != count || up.Length != count)
            throw new InvalidDataException($"{config.Source}: {down.Length} down and {up.Length} up block types for {count} block_out_channels");
        foreach (var type in down.Where(t => t is not (CrossAttnDown or PlainDown)))
            throw new NotSupportedException($"{config.Source}: down block type '{type}' is not supported ({CrossAttnDown}, {PlainDown})");
        foreach (var type in up.Where(t => t is not (CrossAttnUp or PlainUp)))
            throw new NotSupportedException($"{config.Source}: up block type '{type}' is not supported ({CrossAttnUp}, {PlainUp})");
        var midType = config.String("mid_block_type", "UNetMidBlock2DCrossAttn");
        if (midType != "UNetMidBlock2DCrossAttn")
            throw new NotSupportedException($"{config.Source}: mid_block_type '{midType}' is not supported (UNetMidBlock2DCrossAttn)");
        if (config.Has("num_attention_heads"))
            throw new NotSupportedException($"{config.Source}: num_attention_heads is rejected by diffusers too; SD configs give the head count as attention_head_dim");

        var heads = config.IntOrIntArray("attention_head_dim", count, 8);
        var crossDim = config.IntOrIntArray("cross_attention_dim", count, 1280);
        var layers = config.IntOrIntArray("layers_per_block", count, 2);
        var transformerLayers = config.IntOrIntArray("transformer_layers_per_block", count, 1);
        foreach (var (name, values) in new[] { ("attention_head_dim", heads), ("cross_attention_dim", crossDim), ("layers_per_block", layers), ("transformer_layers_per_block", transformerLayers) })
            if (values.Length != count)
                throw new InvalidDataException($"{config.Source}: {name} has {values.Length} values for {count} blocks");
        var groups = config.Int("norm_num_groups", 32);
        for (var i = 0; i < count; i++)
        {
            if (blocks[i] % groups != 0)
                throw new InvalidDataException($"{config.Source}: block_out_channels[{i}] = {blocks[i]} is not divisible by norm_num_groups {groups}");
            if (blocks[i] % heads[i] != 0)
                throw new InvalidDataException($"{config.Source}: block_out_channels[{i}] = {blocks[i]} is not divisible by {heads[i]} heads");
        }
        return new UNet2DConditionConfig(
            config.Int("in_channels", 4),
            config.Int("out_channels", 4),
            blocks, down, up, layers, transformerLayers, crossDim, heads,
            groups,
            config.Double("norm_eps", 1e-5),
            config.String("act_fn", "silu")!,
            config.Bool("use_linear_projection", false),
            config.Bool("upcast_attention", false),
            config.Bool("flip_sin_to_cos", true),
            config.Double("freq_shift", 0),
            config.Int("time_embedding_dim", blocks[0] * 4),
            config.Int("conv_in_kernel", 3),
            config.Int("conv_out_kernel", 3),
            config.Int("downsample_padding", 1),
            config.Double("mid_block_scale_factor", 1),
            config.Int("sample_size", 64));
    }

    // Keys whose non-default values select architecture variants (SDXL additions, class embeddings, ...) that
    // Stable Diffusion 1.x/2.x do not use.
    private static void RequireDefaults(HfConfig config)
    {
        string[] mustBeNull = ["class_embed_type", "addition_embed_type", "encoder_hid_dim", "encoder_hid_dim_type",
            "time_cond_proj_dim", "timestep_post_act", "time_embedding_act_fn", "num_class_embeds",
            "cross_attention_norm", "reverse_transformer_layers_per_block", "projection_class_embeddings_input_dim"];
        foreach (var key in mustBeNull.Where(config.Has))
            throw new NotSupportedException($"{config.Source}: '{key}' = {config.Raw(key)!.ToJsonString()} is not supported (Stable Diffusion leaves it null)");
        (string Key, object Expected)[] mustEqual =
        [
            ("only_cross_attention", false), ("dual_cross_attention", false), ("center_input_sample", false),
            ("resnet_skip_time_act", false), ("time_embedding_type", "positional"), ("resnet_time_scale_shift", "default"),
            ("attention_type", "default"), ("resnet_out_scale_factor", 1.0),
        ];
        foreach (var (key, expected) in mustEqual)
        {
            if (!config.Has(key)) continue;
            object actual = expected switch
            {
                // only_cross_attention may be given per block.
                bool b => config.Raw(key) is System.Text.Json.Nodes.JsonArray flags
                    ? flags.Any(f => f!.GetValue<bool>()) : config.Bool(key, b),
                string s => config.String(key, s)!,
                double d => config.Double(key, d),
                _ => throw new InvalidOperationException(),
            };
            if (!actual.Equals(expected))
                throw new NotSupportedException($"{config.Source}: '{key}' = {config.Raw(key)!.ToJsonString()} is not supported (only {expected})");
        }
    }
}
