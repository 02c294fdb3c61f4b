using TorchSharp;

namespace Mustafar.Models.Diffusion;

/// <summary>One tap's features for one image: tokens [grid_h * grid_w, channels] on the CPU, row-major over the
/// grid (the [c, h, w] map permuted to channels-last and flattened), as the wire format sends them.</summary>
public sealed record TapFeatures(string Tap, torch.Tensor Tokens, int GridHeight, int GridWidth, int Channels) : IDisposable
{
    public void Dispose() => Tokens.Dispose();
}

/// <summary>The features of one request and the settings that produced them.</summary>
public sealed record FeatureResult(FeatureSettings Settings, IReadOnlyList<TapFeatures> Features) : IDisposable
{
    public void Dispose()
    {
        foreach (var feature in Features) feature.Dispose();
    }
}
