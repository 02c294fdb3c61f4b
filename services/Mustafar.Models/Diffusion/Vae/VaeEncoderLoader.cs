using Mustafar.Models.Common;
using Mustafar.Models.Checkpoints;
using static TorchSharp.torch;

namespace Mustafar.Models.Diffusion.Vae;

/// <summary>Loads the encoder half of a diffusers <c>vae/</c> folder.</summary>
public static class VaeEncoderLoader
{
    private static readonly (string Old, string New)[] LegacyAttentionNames =
        [(".query.", ".to_q."), (".key.", ".to_k."), (".value.", ".to_v."), (".proj_attn.", ".to_out.0.")];

    /// <summary>The decoder and post_quant_conv are skipped (and counted in the load report); old diffusers files
    /// name the mid-block attention query/key/value/proj_attn, which map onto to_q/to_k/to_v/to_out.0.</summary>
    public static KeyMapping Mapping { get; } = new()
    {
        IgnorePrefixes = ["decoder.", "post_quant_conv."],
        Rename = RenameLegacyAttention,
    };

    public static string RenameLegacyAttention(string key)
    {
        if (!key.Contains(".mid_block.attentions.", StringComparison.Ordinal)) return key;
        foreach (var (old, renamed) in LegacyAttentionNames)
            if (key.Contains(old, StringComparison.Ordinal)) return key.Replace(old, renamed, StringComparison.Ordinal);
        return key;
    }

    public static AutoencoderKLEncoder Build(HfConfig config, Device device, ScalarType dtype)
    {
        var parsed = AutoencoderKLConfig.From(config);
        return ModuleBuild.Build(device, dtype, (d, t) => new AutoencoderKLEncoder(parsed, d, t));
    }

    public static (AutoencoderKLEncoder Model, LoadReport Report) Load(string folder, Device device, ScalarType dtype,
        IReadOnlyList<string>? weightBaseNames = null) =>
        ComponentLoader.Load(folder, config => Build(config, device, dtype), Mapping, weightBaseNames);
}
