using static TorchSharp.torch;

namespace Mustafar.Train.Features;

/// <summary>Where training gets an image's visual features: exactly the tensors the mesh would hand the generator
/// for that image and diffusion prompt. Tensors are float32 on the CPU, [tokens, channels], owned by the source
/// (callers copy what they keep).</summary>
public interface IFeatureSource : IDisposable
{
    Tensor Clip(string imagePath);

    /// <param name="prompt">The diffusion prompt (the question, or "" after prompt dropout).</param>
    Tensor Diffusion(string imagePath, string prompt);

    /// <summary>"clip 120 computed / 3400 cached, diffusion ..." for the log.</summary>
    string Describe();
}
