using Mustafar.Models.Checkpoints;

namespace Mustafar.Models.Diffusion.Vae;

/// <summary>The encoder half of diffusers' AutoencoderKL config. Missing keys take AutoencoderKL's defaults
/// (diffusers 0.30), which are not Stable Diffusion's: real checkpoints write them all.</summary>
public sealed record AutoencoderKLConfig(
    int InChannels,
    int LatentChannels,
    int[] BlockOutChannels,
    int LayersPerBlock,
    int NormNumGroups,
    string ActFn,
    bool MidBlockAddAttention,
    bool UseQuantConv,
    double ScalingFactor,
    double? ShiftFactor,
    bool ForceUpcast,
    int SampleSize)
{
    /// <summary>Both the VAE's resnets and its mid-block attention use GroupNorm eps 1e-6 (diffusers' Encoder).</summary>
    public const double NormEps = 1e-6;

    /// <summary>Pixels per latent cell: 2 per downsampling block (all but the last).</summary>
    public int ScaleFactor => 1 << (BlockOutChannels.Length - 1);

    public static AutoencoderKLConfig From(HfConfig config)
    {
        var blocks = config.IntArray("block_out_channels", [64]);
        var downTypes = config.StringArray("down_block_types", ["DownEncoderBlock2D"]);
        if (downTypes.Length != blocks.Length)
            throw new InvalidDataException($"{config.Source}: {downTypes.Length} down_block_types for {blocks.Length} block_out_channels");
        var unsupported = downTypes.FirstOrDefault(t => t != "DownEncoderBlock2D");
        if (unsupported is not null)
            throw new NotSupportedException($"{config.Source}: down block type '{unsupported}' is not supported (only DownEncoderBlock2D)");
        var groups = config.Int("norm_num_groups", 32);
        var badChannels = blocks.FirstOrDefault(c => c % groups != 0);
        if (badChannels != 0)
            throw new InvalidDataException($"{config.Source}: {badChannels} channels are not divisible by norm_num_groups {groups}");
        return new AutoencoderKLConfig(
            config.Int("in_channels", 3),
            config.Int("latent_channels", 4),
            blocks,
            config.Int("layers_per_block", 1),
            groups,
            config.String("act_fn", "silu")!,
            config.Bool("mid_block_add_attention", true),
            config.Bool("use_quant_conv", true),
            config.Double("scaling_factor", 0.18215),
            config.Has("shift_factor") ? config.Double("shift_factor", 0) : null,
            config.Bool("force_upcast", true),
            config.Int("sample_size", 32));
    }
}
