using Mustafar.Models.Diffusion.UNet;

namespace Mustafar.Models.Diffusion;

/// <summary>
/// A request after its CPU-side work (decode, resize, [-1, 1] pixels, tokenization, validation), made by
/// <see cref="StableDiffusionFeatureExtractor.Prepare(FeatureRequest)"/> off the inference thread. It holds no
/// torch state, so it can be made on any thread and queued.
/// </summary>
public sealed record PreparedFeatureRequest
{
    /// <summary>float32 CHW [3, size, size] in [-1, 1]; null when the request brought its <see cref="Latent"/>.</summary>
    public float[]? Pixels { get; init; }

    /// <summary>The clean, scaled latent [latent_channels, latent_size, latent_size] the request brought instead of
    /// an image (float32); null when the VAE encodes <see cref="Pixels"/>.</summary>
    public float[]? Latent { get; init; }

    /// <summary>Return the clean latent with the features.</summary>
    public bool ReturnLatent { get; init; }

    /// <summary>Padded prompt ids for the conditional row; null when no conditional row runs.</summary>
    public long[]? PromptIds { get; init; }

    public required IReadOnlyList<UNetTap> Taps { get; init; }
    public required FeatureSettings Settings { get; init; }

    public bool RunsConditional => PromptIds is not null;

    /// <summary>GUIDED, UNCONDITIONAL and HALVES need f_u.</summary>
    public bool RunsUnconditional => Settings.Variant != ConditioningVariant.Conditional;

    public int UNetRows => (RunsConditional ? 1 : 0) + (RunsUnconditional ? 1 : 0);

    /// <summary>Requests with equal keys can share one batched pass: same timestep, taps and image size.</summary>
    public string BatchKey => $"{Settings.Timestep}|{Settings.ImageSize}|{string.Join(',', Settings.Taps)}";
}
