using Mustafar.Models.Checkpoints;

namespace Mustafar.Models.Clip;

/// <summary>The transformer part shared by transformers' CLIPVisionConfig and CLIPTextConfig.</summary>
public sealed record ClipEncoderConfig(
    int HiddenSize,
    int IntermediateSize,
    int NumHiddenLayers,
    int NumAttentionHeads,
    string HiddenAct,
    double LayerNormEps)
{
    public int HeadDim => HiddenSize / NumAttentionHeads;

    /// <summary>Reads the shared keys; <paramref name="defaults"/> holds the defaults of the specific config class
    /// (vision and text differ), so a missing key never takes the other tower's default.</summary>
    public static ClipEncoderConfig From(HfConfig config, ClipEncoderConfig defaults)
    {
        var result = new ClipEncoderConfig(
            config.Int("hidden_size", defaults.HiddenSize),
            config.Int("intermediate_size", defaults.IntermediateSize),
            config.Int("num_hidden_layers", defaults.NumHiddenLayers),
            config.Int("num_attention_heads", defaults.NumAttentionHeads),
            config.String("hidden_act", defaults.HiddenAct)!,
            config.Double("layer_norm_eps", defaults.LayerNormEps));
        if (result.HiddenSize % result.NumAttentionHeads != 0)
            throw new InvalidDataException($"{config.Source}: hidden_size {result.HiddenSize} is not divisible by num_attention_heads {result.NumAttentionHeads}");
        return result;
    }
}
