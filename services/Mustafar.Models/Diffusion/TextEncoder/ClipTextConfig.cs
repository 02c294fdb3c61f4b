using Mustafar.Models.Checkpoints;
using Mustafar.Models.Clip;

namespace Mustafar.Models.Diffusion.TextEncoder;

/// <summary>transformers' CLIPTextConfig: the shared transformer sizes plus the text-side embedding sizes.</summary>
public sealed record ClipTextConfig(ClipEncoderConfig Encoder, int VocabSize, int MaxPositionEmbeddings, int EosTokenId)
{
    /// <summary>CLIPTextConfig's own defaults (transformers 4.44), used for keys missing from config.json.</summary>
    public static readonly ClipEncoderConfig EncoderDefaults = new(512, 2048, 12, 8, "quick_gelu", 1e-5);

    public static ClipTextConfig From(HfConfig config)
    {
        // A full CLIPModel config nests the text tower under "text_config".
        var text = config.Has("text_config") ? config.Section("text_config") : config;
        return new ClipTextConfig(
            ClipEncoderConfig.From(text, EncoderDefaults),
            text.Int("vocab_size", 49408),
            text.Int("max_position_embeddings", 77),
            text.Int("eos_token_id", 49407));
    }
}
