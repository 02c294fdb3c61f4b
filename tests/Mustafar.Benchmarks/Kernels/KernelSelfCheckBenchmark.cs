using System.Diagnostics;
using Mustafar.Models.Checkpoints;
using Mustafar.Models.Clip;
using Mustafar.Models.Common;
using Mustafar.Models.Diffusion.TextEncoder;
using Mustafar.Models.Diffusion.UNet;
using Mustafar.Models.Diffusion.Vae;
using Mustafar.Models.KernelChecks;
using Mustafar.Models.Llama;
using Mustafar.Testing;
using TorchSharp;
using static TorchSharp.torch;

namespace Mustafar.Benchmarks.Kernels;

/// <summary>
/// The start-up kernel self-check at the real models' sizes (random weights, built from the real configs in
/// tests/fixtures/reference/real_keys): SD 2.1-base's U-Net, VAE encoder and text encoder, CLIP ViT-L/14-336, and a
/// LLaMA with Vicuna-7B's layer shapes and one decoder layer (every layer has the same shapes, so one layer has every
/// kernel shape of 32). Prints each model's shapes, outcome and the check's time (the build's is not counted).
/// </summary>
public sealed class KernelSelfCheckBenchmark : IBenchmark
{
    public string Name => "kernel-selfcheck";

    public string Description => "the start-up kernel self-check at real checkpoint sizes (SD 2.1-base, CLIP-L/336, Vicuna-7B layer shapes)";

    /// <summary>Weights of a trained scale (N(0, 0.02); norms 1 and 0). TorchSharp 0.107 leaves GroupNorm's affine
    /// parameters uninitialised, and random garbage there would overflow float32 in the check.</summary>
    private static void InitializeLikeACheckpoint(nn.Module module)
    {
        foreach (var (name, parameter) in module.named_parameters())
        {
            var isNorm = name.Contains("norm", StringComparison.Ordinal);
            if (isNorm && name.EndsWith(".weight", StringComparison.Ordinal)) nn.init.ones_(parameter);
            else if (name.EndsWith(".bias", StringComparison.Ordinal)) nn.init.zeros_(parameter);
            else nn.init.normal_(parameter, 0, 0.02);
        }
    }

    public Task RunAsync(string[] args)
    {
        using var _ = no_grad();
        var dtype = args.Length > 0 ? Mustafar.Torch.TorchDTypes.ParseComputeDType(args[0]) : ScalarType.Float32;
        var folder = Path.Combine(RepoPaths.Root, "tests", "fixtures", "reference", "real_keys");
        HfConfig Config(string name) => HfConfig.Load(Path.Combine(folder, name + ".config.json"));
        (string Name, Func<nn.Module> Build)[] models =
        [
            ("SD 2.1-base U-Net", () => UNetLoader.Build(Config("sd21base.unet"), CPU, dtype)),
            ("SD 2.1-base VAE encoder", () => VaeEncoderLoader.Build(Config("sd21base.vae"), CPU, dtype)),
            ("SD 2.1-base text encoder", () => ClipTextEncoderLoader.Build(Config("sd21base.text_encoder"), CPU, dtype)),
            ("CLIP ViT-L/14-336 vision", () => ModuleBuild.Build(CPU, dtype,
                (d, t) => new ClipVisionModel(ClipVisionConfig.From(Config("clip-vit-large-patch14-336.CLIPVisionModel")), d, t))),
            ("LLaMA, Vicuna-7B shapes, 1 layer", () => ModuleBuild.Build(CPU, dtype,
                (d, t) => new LlamaForCausalLM(LlamaConfig.From(Config("vicuna-7b-v1.5")) with { NumHiddenLayers = 1 }, d, t))),
        ];
        Console.WriteLine($"kernel self-check on cpu {dtype}, {get_num_threads()} threads");
        var total = TimeSpan.Zero;
        var coldTotal = TimeSpan.Zero;
        foreach (var (name, build) in models)
        {
            var built = Stopwatch.StartNew();
            using var module = build();
            InitializeLikeACheckpoint(module);
            var buildTime = built.Elapsed;
            // The first run is what a service pays at start-up: it includes libtorch's lazy set-up of each kernel
            // (oneDNN compiles one per shape), which the first request would otherwise pay.
            var cold = KernelSelfChecker.Run([module], CPU, dtype);
            var report = KernelSelfChecker.Run([module], CPU, dtype);
            total += report.Elapsed;
            coldTotal += cold.Elapsed;
            Console.WriteLine($"{name,-34} built in {buildTime.TotalSeconds,5:F1} s; cold {cold.Elapsed.TotalMilliseconds:F0} ms; {report.Summary}");
            foreach (var result in report.Results.Where(r => r.Outcome != KernelCheckVerdict.Passed || r.Detail is not null))
                Console.WriteLine($"    {result}");
            Console.WriteLine("    by op: " + string.Join(", ", report.Results.GroupBy(r => r.Op)
                .Select(g => $"{g.Key} {g.Count()} shapes {g.Sum(r => r.Elapsed.TotalMilliseconds):F0} ms")));
        }
        Console.WriteLine($"all five: cold {coldTotal.TotalMilliseconds:F0} ms, warm {total.TotalMilliseconds:F0} ms");
        return Task.CompletedTask;
    }
}
