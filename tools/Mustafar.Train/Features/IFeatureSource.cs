using static TorchSharp.torch;

namespace Mustafar.Train.Features;

/// <summary>Where training gets an image's visual features: exactly the tensors the mesh would hand the generator
/// for that image and diffusion prompt. Tensors are float32 on the CPU, [tokens, channels], valid at least until the
/// caller's dispose scope ends; callers never dispose them (a source may keep them) and copy what they keep longer.</summary>
public interface IFeatureSource : IDisposable
{
    Tensor Clip(string imagePath);

    /// <param name="prompt">The diffusion prompt (the question, or "" after prompt dropout).</param>
    Tensor Diffusion(string imagePath, string prompt);

    /// <summary>The diffusion settings the features are made with (null: the checkpoint uses no diffusion features),
    /// written into the trained checkpoint.</summary>
    DiffusionSettings? Settings { get; }

    /// <summary>Starts getting features that the next steps will ask for, so that a source whose features come from
    /// elsewhere can ask for many at once. A source that computes in this process ignores it.</summary>
    void Prefetch(IEnumerable<FeatureNeed> needs)
    {
    }

    /// <summary>"clip 120 computed / 3400 cached, diffusion ..." for the log.</summary>
    string Describe();
}
