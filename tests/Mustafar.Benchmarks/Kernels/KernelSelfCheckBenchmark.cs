using System.Diagnostics;
using Mustafar.Benchmarks.RealSize;
using Mustafar.Models.Checkpoints;
using Mustafar.Models.Clip;
using Mustafar.Models.Common;
using Mustafar.Models.Diffusion.TextEncoder;
using Mustafar.Models.Diffusion.UNet;
using Mustafar.Models.Diffusion.Vae;
using Mustafar.Models.KernelChecks;
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

    public Task RunAsync(string[] args)
    {
        using var _ = no_grad();
        var dtype = args.Length > 0 ? Mustafar.Torch.TorchDTypes.ParseComputeDType(args[0]) : ScalarType.Float32;
        HfConfig Config(string name) => RealSizeModels.Config(name);
        (string Name, Func<nn.Module> Build)[] models =
        [
            ("SD 2.1-base U-Net", () => UNetLoader.Build(Config("sd21base.unet"), CPU, dtype)),
            ("SD 2.1-base VAE encoder", () => VaeEncoderLoader.Build(Config("sd21base.vae"), CPU, dtype)),
            ("SD 2.1-base text encoder", () => ClipTextEncoderLoader.Build(Config("sd21base.text_encoder"), CPU, dtype)),
            ("CLIP ViT-L/14-336 vision", () => ModuleBuild.Build(CPU, dtype, (d, t) => new ClipVisionModel(RealSizeModels.ClipLarge336, d, t))),
            ("LLaMA, Vicuna-7B shapes, 1 layer", () => RealSizeModels.Vicuna7BShapes(1, dtype)),
        ];
        Console.WriteLine($"kernel self-check on cpu {dtype}, {get_num_threads()} threads");
        var total = TimeSpan.Zero;
        var coldTotal = TimeSpan.Zero;
        foreach (var (name, build) in models)
        {
            var built = Stopwatch.StartNew();
            using var module = build();
            RealSizeModels.InitializeLikeACheckpoint(module);
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
