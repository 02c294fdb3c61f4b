using TorchSharp;

namespace Mustafar.Models.Diffusion;

/// <summary>One tap's features for one image: tokens [grid_h * grid_w, channels] on the CPU, row-major over the
/// grid (the [c, h, w] map permuted to channels-last and flattened), as the wire format sends them.</summary>
public sealed record TapTokens(string Tap, torch.Tensor Tokens, int GridHeight, int GridWidth, int Channels) : IDisposable
{
    public void Dispose() => Tokens.Dispose();
}

/// <summary>The features of one request and the settings that produced them.</summary>
/// <param name="Features">One per tap: the request's variant (f_c for HALVES).</param>
/// <param name="UnconditionalFeatures">HALVES only: f_u per tap; empty otherwise.</param>
/// <param name="Latent">The clean, scaled latent [latent_channels, h, w] on the CPU, when the request asked for it.</param>
public sealed record FeatureResult(FeatureSettings Settings, IReadOnlyList<TapTokens> Features,
    IReadOnlyList<TapTokens>? UnconditionalFeatures = null, torch.Tensor? Latent = null) : IDisposable
{
    public void Dispose()
    {
        foreach (var feature in Features.Concat(UnconditionalFeatures ?? [])) feature.Dispose();
        Latent?.Dispose();
    }
}
