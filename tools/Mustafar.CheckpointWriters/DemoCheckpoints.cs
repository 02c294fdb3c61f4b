using Mustafar.Models.Checkpoints;
using Mustafar.Models.Diffusion.Vae;
using Mustafar.Models.Diffusion;
using Mustafar.Models.Diffusion.UNet;
using Mustafar.Models.Fusion;
using Mustafar.Models.Generation;

namespace Mustafar.CheckpointWriters;

/// <summary>
/// The offline demo's checkpoints, written once into a folder: a tiny Stable Diffusion pipeline (diffusers layout)
/// and a tiny Mustafar fusion checkpoint (llava-hf layout, whose vision tower the CLIP service loads). The fusion
/// module is sized from the diffusion pipeline's own default tap, so the three services agree on feature shapes.
/// All weights are random: the demo's answers are meaningless words until real checkpoints are configured.
/// </summary>
public static class DemoCheckpoints
{
    public const int FormatVersion = 1;
    public const string StampFile = "demo-models.json";
    public const string DiffusionFolder = "stable-diffusion";
    public const string GeneratorFolder = "llava";

    /// <summary>Where each service's model lives inside a demo folder.</summary>
    public sealed record Paths(string Root, string Clip, string Diffusion, string Generator);

    /// <summary>What was written, for the log.</summary>
    public sealed record Written(Paths Paths, bool Reused, FusionKind Fusion, UNetTapInfo Tap);

    public static Paths In(string root)
    {
        var full = Path.GetFullPath(root);
        var generator = Path.Combine(full, GeneratorFolder);
        return new Paths(full, generator, Path.Combine(full, DiffusionFolder), generator);
    }

    /// <summary>Writes the checkpoints unless the folder already holds the same ones (same format, seed and mode).</summary>
    public static Written Ensure(string root, int seed = 1234, FusionKind fusion = FusionKind.CrossAttention)
    {
        var paths = In(root);
        var wanted = new Stamp(FormatVersion, seed, fusion.ConfigName(), "random weights: the demo's answers are meaningless");
        var reused = CheckpointStamp.Ensure(paths.Root, StampFile, wanted, [paths.Diffusion, paths.Generator], () =>
        {
            TinyStableDiffusionWriter.Write(paths.Diffusion, TinyStableDiffusionPreset.Tiny, seed);
            var tap = DefaultTap(paths.Diffusion);
            TinyLlavaCheckpoint.Write(paths.Generator, TinyLlavaOptions.Preset("tiny-" + fusion.ConfigName()) with
            {
                Seed = seed,
                DiffusionTap = tap.Name,
                DiffusionChannels = tap.Channels,
                DiffusionGridHeight = tap.GridHeight,
                DiffusionGridWidth = tap.GridWidth,
            });
        });
        return new Written(paths, reused, fusion, DefaultTap(paths.Diffusion));
    }

    /// <summary>The pipeline's default tap (the paper's) with its grid at the pipeline's own image size, as the
    /// service's model info reports it; read from the U-Net and VAE configs alone (no weights are loaded).</summary>
    public static UNetTapInfo DefaultTap(string folder)
    {
        var unet = UNet2DConditionConfig.From(HfConfig.Load(Path.Combine(folder, "unet", "config.json")));
        var vae = AutoencoderKLConfig.From(HfConfig.Load(Path.Combine(folder, "vae", "config.json")));
        var latent = vae.SampleSize / vae.ScaleFactor;
        return UNet2DConditionModel.DescribeTaps(unet, latent, latent).Single(t => t.Name == DiffusionFeatureOptions.PaperTap);
    }

    private sealed record Stamp(int Version, int Seed, string Fusion, string Note);
}
