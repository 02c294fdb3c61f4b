using System.Text.Json;
using Mustafar.Models.Diffusion;
using Mustafar.Models.Fusion;
using Mustafar.Models.Generation;

namespace Mustafar.Cli;

/// <summary>
/// Writes the offline demo's checkpoints, once: a tiny Stable Diffusion pipeline (diffusers layout) and a tiny
/// Mustafar fusion checkpoint (llava-hf layout, whose vision tower the CLIP service loads). The generator's fusion
/// module is sized from the diffusion pipeline's actual tap, so the three services agree. All weights are random:
/// the answers are meaningless words until real checkpoints are configured.
/// </summary>
public static class DemoModels
{
    public const int FormatVersion = 1;
    public const string StampFile = "demo-models.json";
    public const string DiffusionFolder = "stable-diffusion";
    public const string GeneratorFolder = "llava";

    public static int Run(CommandLine line)
    {
        var root = Path.GetFullPath(line.Required("out"));
        var seed = line.Int("seed", 1234);
        var fusionName = line.Optional("fusion") ?? FusionMode.CrossAttention.ConfigName();
        if (!FusionModes.TryParse(fusionName, out var fusion))
            throw new UsageException($"--fusion '{fusionName}' is not one of {string.Join(", ", Enum.GetValues<FusionMode>().Select(m => m.ConfigName()))}");

        var stamp = Path.Combine(root, StampFile);
        var wanted = new Stamp(FormatVersion, seed, fusion.ConfigName(), "random weights: the demo's answers are meaningless");
        if (File.Exists(stamp) && JsonSerializer.Deserialize<Stamp>(File.ReadAllText(stamp)) == wanted)
        {
            Console.WriteLine($"demo models: already written in {root}");
            return 0;
        }

        var diffusion = Path.Combine(root, DiffusionFolder);
        var generator = Path.Combine(root, GeneratorFolder);
        foreach (var folder in new[] { diffusion, generator }) if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);

        TinyStableDiffusionWriter.Write(diffusion, TinyStableDiffusionPreset.Tiny, seed);
        var tap = DefaultTap(diffusion);
        TinyLlavaCheckpoint.Write(generator, TinyLlavaOptions.Preset("tiny-" + fusion.ConfigName()) with
        {
            Seed = seed,
            DiffusionTap = tap.Name,
            DiffusionChannels = tap.Channels,
            DiffusionGridHeight = tap.GridHeight,
            DiffusionGridWidth = tap.GridWidth,
        });
        File.WriteAllText(stamp, JsonSerializer.Serialize(wanted, new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"demo models: wrote {diffusion} and {generator} (fusion {fusion.ConfigName()}, tap {tap.Name} {tap.GridHeight}x{tap.GridWidth}x{tap.Channels}, seed {seed}; RANDOM weights)");
        return 0;
    }

    /// <summary>The pipeline's default tap as its own model info reports it at its own image size.</summary>
    private static Mustafar.Models.Diffusion.Unet.UnetTapInfo DefaultTap(string folder)
    {
        using var extractor = StableDiffusionFeatureExtractor.Load(folder);
        var name = extractor.Info.DefaultTaps[0];
        return extractor.Info.Taps.Single(t => t.Name == name);
    }

    private sealed record Stamp(int Version, int Seed, string Fusion, string Note);
}
