using static TorchSharp.torch;

namespace Mustafar.Models.Diffusion;

/// <summary>The DDPM noise added to one request's clean latent at its timestep.</summary>
public interface INoiseSource
{
    /// <summary>The noise [1, latent_channels, h, w] (float32, CPU) for <paramref name="request"/>. <paramref name="generator"/>
    /// is the request's own generator, seeded with its seed, after the latent sample's draw (SAMPLE mode).</summary>
    Tensor Noise(PreparedFeatureRequest request, long[] shape, Generator generator);
}

/// <summary>The noise of diffusers' img2img: a standard normal draw from the request's own seeded generator, so a
/// request gets the same noise alone or in any batch, on any device.</summary>
public sealed class SeededNoise : INoiseSource
{
    public static SeededNoise Instance { get; } = new();

    public Tensor Noise(PreparedFeatureRequest request, long[] shape, Generator generator) =>
        randn(shape, float32, CPU, generator: generator);
}
