using Mustafar.CheckpointWriters;
using Mustafar.Models.Diffusion;
using Mustafar.Models.Tests.Imaging;
using Mustafar.Testing;
using SixLabors.ImageSharp.Formats.Png;

namespace Mustafar.Models.Tests.Diffusion;

/// <summary>A tiny random-weight pipeline written once per test class by <see cref="TinyStableDiffusionWriter"/>
/// (no reference fixtures needed), loaded in float32 on the CPU.</summary>
public sealed class TinyPipelineFixture : IDisposable
{
    public string Folder { get; } = RepoPaths.NewTempFolder("sd-tiny");
    public List<string> LoadLog { get; } = [];
    public StableDiffusionFeatureExtractor Extractor { get; }
    public byte[] Png { get; } = RgbImages.Encode(RgbImages.Pattern(80, 60, seed: 3), new PngEncoder());
    public byte[] OtherPng { get; } = RgbImages.Encode(RgbImages.Pattern(50, 70, seed: 9), new PngEncoder());

    public TinyPipelineFixture()
    {
        TinyStableDiffusionWriter.Write(Folder, TinyStableDiffusionPreset.Tiny, seed: 7);
        Extractor = StableDiffusionFeatureExtractor.Load(Folder, new DiffusionFeatureOptions { ModelId = "tiny-test" }, LoadLog.Add);
    }

    public void Dispose()
    {
        Extractor.Dispose();
        Directory.Delete(Folder, recursive: true);
    }
}
