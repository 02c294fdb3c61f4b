namespace Mustafar.Models.Diffusion;

/// <summary>Which features a request returns (the proto's FeatureVariant). f_c: conditioned on the prompt;
/// f_u: conditioned on the empty prompt.</summary>
public enum ConditioningVariant
{
    /// <summary>f = f_u + s (f_c - f_u); only f_u is computed when s = 0 or the prompt is empty.</summary>
    Guided,
    /// <summary>f_c only; the prompt must not be empty.</summary>
    Conditional,
    /// <summary>f_u only: independent of the prompt, so it can be cached per image.</summary>
    Unconditional,
    /// <summary>f_c and f_u, returned separately from one pass of both rows, so a caller can cache each half from
    /// one call; the prompt must not be empty.</summary>
    Halves,
}

/// <summary>How the clean latent is taken from the VAE's distribution.</summary>
public enum LatentSampling
{
    /// <summary>The mean (deterministic, what the paper's extraction uses).</summary>
    Mean,
    /// <summary>mean + std * eps, with eps drawn from the request's seed before the noise.</summary>
    Sample,
}
