using System.Globalization;
using Mustafar.Contracts.Clip.V1;
using Mustafar.Contracts.Diffusion.V1;

namespace Mustafar.Tensors.FeatureCaching;

/// <summary>Everything that changes a CLIP feature tensor.</summary>
/// <param name="SelectLayer">Hidden-state index, normalised to be non-negative.</param>
/// <param name="ImageSize">Side of the model input in pixels.</param>
/// <param name="Value">The value's shape and dtype.</param>
public sealed record ClipFeatureSettings(string ModelId, int SelectLayer, FeatureSelect Select, ImageAspect Aspect, int ImageSize, ExpectedFeature Value);

/// <summary>Everything that changes one diffusion half (conditional or unconditional). The guidance scale is not
/// here: the halves do not depend on it, the gateway combines them.</summary>
/// <param name="Prompt">The conditioning prompt; empty for the unconditional half, which is shared by every question.</param>
/// <param name="Value">The value's shape and dtype.</param>
public sealed record DiffusionHalfSettings(string ModelId, int Timestep, ulong Seed, string Tap, FeatureVariant Variant,
    string Prompt, int ImageSize, LatentMode LatentMode, ExpectedFeature Value)
{
    // Computed on read, not stored: a stored hash would go stale in a copy made with "with { Prompt = ... }".
    public string PromptSha256 => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Prompt)));
}

/// <summary>The VAE latent of one image: it depends on the model, the image, the resize (image size) and the
/// latent mode, and in SAMPLE mode on the seed; never on the question, the timestep or the tap.</summary>
/// <param name="Value">The latent's [channels, size, size] and the service's compute dtype.</param>
public sealed record DiffusionLatentSettings(string ModelId, int ImageSize, LatentMode LatentMode, ulong Seed, ExpectedFeature Value);

/// <summary>
/// Content-addressed cache keys: the image's SHA-256 plus every setting that changes the features, the value's
/// shape and dtype, and the value format version. Free-text parts (model ids, tap names) are percent-encoded so that no value can forge a
/// separator. The prompt enters as its SHA-256, so keys stay short and never echo user text.
/// </summary>
public static class FeatureKeys
{
    public static string Clip(string prefix, string imageSha256, ClipFeatureSettings s) => string.Create(CultureInfo.InvariantCulture,
        $"{prefix}v{FeatureCacheFormat.Version}:clip:{E(s.ModelId)}:{imageSha256}:layer={s.SelectLayer}:select={Name(s.Select)}:aspect={Name(s.Aspect)}:size={s.ImageSize}:{s.Value.KeyPart}");

    public static string Diffusion(string prefix, string imageSha256, DiffusionHalfSettings s)
    {
        var half = s.Variant == FeatureVariant.Unconditional ? "uncond" : $"cond:prompt={s.PromptSha256}";
        return string.Create(CultureInfo.InvariantCulture,
            $"{prefix}v{FeatureCacheFormat.Version}:sd:{E(s.ModelId)}:{imageSha256}:t={s.Timestep}:seed={s.Seed}:tap={E(s.Tap)}:{half}:size={s.ImageSize}:latent={Name(s.LatentMode)}:{s.Value.KeyPart}");
    }

    /// <summary>The latent's key. The seed is part of it only in SAMPLE mode: the mean does not depend on it, so every
    /// seed shares one latent.</summary>
    public static string DiffusionLatent(string prefix, string imageSha256, DiffusionLatentSettings s)
    {
        var mode = s.LatentMode == LatentMode.Sample ? string.Create(CultureInfo.InvariantCulture, $"sample:seed={s.Seed}") : "mean";
        return string.Create(CultureInfo.InvariantCulture,
            $"{prefix}v{FeatureCacheFormat.Version}:sd-latent:{E(s.ModelId)}:{imageSha256}:size={s.ImageSize}:latent={mode}:{s.Value.KeyPart}");
    }

    /// <summary>The lease under which one gateway computes what an image's diffusion request misses (see
    /// the gateway's <c>ComputeLeases</c>): one per latent, so every question about one cold image waits for the first.</summary>
    public static string Lease(string latentKey) => latentKey + ":lease";

    private static string E(string text) => Uri.EscapeDataString(text);

    private static string Name(FeatureSelect select) => select == FeatureSelect.ClsPatch ? "cls_patch" : "patch";

    private static string Name(ImageAspect aspect) => aspect == ImageAspect.Crop ? "crop" : "pad";

    private static string Name(LatentMode mode) => mode == LatentMode.Sample ? "sample" : "mean";
}
