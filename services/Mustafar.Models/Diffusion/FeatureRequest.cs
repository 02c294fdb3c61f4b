namespace Mustafar.Models.Diffusion;

/// <summary>One extraction request as a caller sends it (the proto's EncodeRequest); null fields take the
/// pipeline's defaults.</summary>
public sealed record FeatureRequest
{
    /// <summary>Encoded PNG, JPEG or WebP bytes; empty when <see cref="Latent"/> is given.</summary>
    public ReadOnlyMemory<byte> Image { get; init; }

    /// <summary>The image's clean, scaled VAE latent [latent_channels, latent_size, latent_size] in float32, as an
    /// earlier result returned it (<see cref="FeatureResult.Latent"/>), in place of the image: the VAE does not run.</summary>
    public float[]? Latent { get; init; }

    /// <summary>Return the clean latent with the features (<see cref="FeatureResult.Latent"/>).</summary>
    public bool ReturnLatent { get; init; }

    /// <summary>Conditioning text (usually the question); empty means unconditional.</summary>
    public string Prompt { get; init; } = "";

    public int? Timestep { get; init; }
    public ulong? Seed { get; init; }
    public float? GuidanceScale { get; init; }

    /// <summary>Tap names; empty takes the default taps.</summary>
    public IReadOnlyList<string> Taps { get; init; } = [];

    public ConditioningVariant Variant { get; init; } = ConditioningVariant.Guided;
    public LatentSampling LatentMode { get; init; } = LatentSampling.Mean;

    /// <summary>Cut a prompt longer than the text context instead of refusing it.</summary>
    public bool TruncatePrompt { get; init; }
}
