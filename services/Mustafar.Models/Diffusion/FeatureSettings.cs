namespace Mustafar.Models.Diffusion;

/// <summary>
/// Everything that determines a result, echoed so callers can build exact cache keys (the proto's
/// EncodeSettings). The prompt fields describe the prompt as used: when the output does not depend on the prompt
/// (UNCONDITIONAL, or GUIDED with s = 0 or an empty prompt) they describe the empty prompt, so that such results
/// share one key. PromptSha256 hashes the prompt text as sent; a truncated prompt is flagged, not re-hashed,
/// because the tokens kept are a function of that text.
/// </summary>
public sealed record FeatureSettings(
    string ModelId,
    int Timestep,
    ulong Seed,
    float GuidanceScale,
    IReadOnlyList<string> Taps,
    ConditioningVariant Variant,
    string PromptSha256,
    int ImageSize,
    LatentSampling LatentMode,
    int PromptTokens,
    bool PromptTruncated,
    int UNetRows,
    bool VaeRan = true);
