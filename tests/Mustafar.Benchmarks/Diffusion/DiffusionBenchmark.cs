using System.Globalization;
using Mustafar.Benchmarks.RealSize;
using Mustafar.CheckpointWriters;
using Mustafar.CheckpointWriters.RealSize;
using Mustafar.Models.Diffusion;
using Mustafar.Models.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace Mustafar.Benchmarks.Diffusion;

/// <summary>
/// The diffusion feature extractor on a random-weight pipeline of SD 2.1 topology ("small" preset, 256 px,
/// written to a temp folder): a guided request (conditional + unconditional rows in one U-Net batch of 2) against
/// an unconditional one (1 row), the U-Net stopped after the paper's tap against the full U-Net, the stages
/// (VAE, text encoder, U-Net) side by side, and what the gateway asks for before and after the latent cache and the
/// one-call HALVES variant (a cold image; a new question about a known image). Every ratio is the median of
/// interleaved per-round ratios with its min..max. Args: [iterations] [preset]; or <c>real-size [float32|bfloat16]
/// [minutes]</c>: SD 2.1-base's sizes at 512 px, the cold image against the new question only, in as many of 5
/// rounds as start within that many minutes (default 10).
/// </summary>
public sealed class DiffusionBenchmark : IBenchmark
{
    public string Name => "diffusion";

    public string Description => "diffusion features: cond+uncond batch vs uncond, early stop vs full U-Net, stage times; real-size: SD 2.1-base";

    public Task RunAsync(string[] args)
    {
        if (RealSizeModels.Selected(args))
        {
            var dtype = RealSizeModels.DType(args);
            var budget = TimeSpan.FromMinutes(args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 10);
            var configs = RealSizeConfigs.Load(RealSizeModels.ConfigFolder);
            using var realSize = WriteAndLoad(folder => TinyStableDiffusionWriter.Write(folder, configs.TextEncoder, configs.Vae, configs.UNet, seed: 1,
                ScalarType.Float32, "real-size (SD 2.1-base configs)"), dtype);
            RunRealSize(realSize, dtype, budget);
            return Task.CompletedTask;
        }
        var iterations = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 6;
        var preset = TinyStableDiffusionPreset.Named(args.Length > 1 ? args[1] : "small");
        using var extractor = WriteAndLoad(folder => TinyStableDiffusionWriter.Write(folder, preset, seed: 1), ScalarType.Float32);
        Run(extractor, iterations, preset);
        return Task.CompletedTask;
    }

    /// <summary>Writes a random pipeline to a temp folder, loads it in <paramref name="dtype"/> and deletes the folder
    /// (the loaded weights are the model's own tensors, not views of the files).</summary>
    private static StableDiffusionFeatureExtractor WriteAndLoad(Action<string> write, ScalarType dtype)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"mustafar-bench-sd-{Guid.NewGuid():N}");
        try
        {
            write(folder);
            return StableDiffusionFeatureExtractor.Load(folder, new DiffusionFeatureOptions { DType = dtype });
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The real-size run (SD 2.1-base at 512 px, tap U-L1-R1-B0-Cross-Q): the gateway's diffusion stage for a
    /// cold image (one HALVES Encode: VAE, both U-Net rows) against a new question about a known image (the
    /// conditional row from the cached latent), interleaved, after one warm-up of each; no round starts once
    /// <paramref name="budget"/> is spent.</summary>
    private static void RunRealSize(StableDiffusionFeatureExtractor extractor, ScalarType dtype, TimeSpan budget)
    {
        using var _ = no_grad();
        var tap = DiffusionFeatureOptions.PaperTap;
        var info = extractor.Info.Taps.Single(t => t.Name == tap);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"preset real-size (SD 2.1-base sizes, random weights): {extractor.Info.ImageSize} px, {dtype}, tap {tap} {info.GridHeight}x{info.GridWidth}x{info.Channels}, {get_num_threads()} torch threads"));
        // Making the requests runs one cold Encode (for the latent), the cold case's warm-up; one more run warms the
        // new question's single-row shapes. A real-size request takes minutes on a loaded two-core machine.
        var requests = GatewayRequests.Of(extractor, Pattern(640, 480));
        Extract(extractor, requests.ConditionalFromLatent);
        var timings = Measure.InterleavedWithin(budget, Measure.MinRounds,
            ("cold image: one HALVES Encode (VAE, 2 U-Net rows)", () => Extract(extractor, requests.ColdHalves)),
            ("new question: Encode cond from the cached latent", () => Extract(extractor, requests.ConditionalFromLatent)));
        foreach (var timing in timings) Console.WriteLine(timing);
        Measure.PrintRatio("new question about a known image / cold image (target <= 0.2)", timings[1], timings[0]);
    }

    private static void Extract(StableDiffusionFeatureExtractor extractor, PreparedFeatureRequest request)
    {
        using var scope = NewDisposeScope();
        extractor.Extract([request]);
    }

    private static void Run(StableDiffusionFeatureExtractor extractor, int iterations, TinyStableDiffusionPreset preset)
    {
        using var _ = no_grad();
        var image = Pattern(640, 480);
        var tap = DiffusionFeatureOptions.PaperTap;
        var guided = extractor.Prepare(new FeatureRequest { Prompt = "what is the man holding?", GuidanceScale = 4 }, image);
        var unconditional = extractor.Prepare(new FeatureRequest { Variant = ConditioningVariant.Unconditional }, image);
        var info = extractor.Info.Taps.Single(t => t.Name == tap);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"preset {preset.Name}: {preset.ImageSize} px, U-Net channels [{string.Join(",", preset.UNetChannels)}], tap {tap} {info.GridHeight}x{info.GridWidth}x{info.Channels}, {get_num_threads()} torch threads"));

        void Extract(PreparedFeatureRequest request) => DiffusionBenchmark.Extract(extractor, request);
        var rows = Measure.Interleaved(2, iterations,
            ("extract guided (cond+uncond, 2 U-Net rows)", () => Extract(guided)),
            ("extract unconditional (1 U-Net row)", () => Extract(unconditional)));
        foreach (var timing in rows) Console.WriteLine(timing);
        Measure.PrintRatio("guided / unconditional (whole request)", rows[0], rows[1]);

        // What the gateway's diffusion stage costs, before and after the encoder work is never repeated.
        var (coldHalves, conditionalFromImage, unconditionalFromImage, conditionalFromLatent) = GatewayRequests.Of(extractor, image);
        var requests = Measure.Interleaved(2, iterations,
            ("before, cold: Encode cond + Encode uncond (2 VAE)", () => { Extract(conditionalFromImage); Extract(unconditionalFromImage); }),
            ("after, cold: one HALVES Encode (1 VAE, 2 rows)", () => Extract(coldHalves)),
            ("before, new question: Encode cond from the image", () => Extract(conditionalFromImage)),
            ("after, new question: Encode cond from the latent", () => Extract(conditionalFromLatent)));
        foreach (var timing in requests) Console.WriteLine(timing);
        Measure.PrintRatio("after: new question about a known image / cold image", requests[3], requests[1]);
        Measure.PrintRatio("before: new question about a known image / cold image", requests[2], requests[0]);
        Measure.PrintRatio("new question: after (cached latent) / before (VAE again)", requests[3], requests[2]);
        Measure.PrintRatio("cold image: after (one HALVES call) / before (two calls)", requests[1], requests[0]);

        // Stage inputs, made once: the same tensors the extractor builds for a guided request.
        using var inputs = NewDisposeScope();
        var size = extractor.Info.ImageSize;
        var pixels = tensor(guided.Pixels!).view(1, 3, size, size);
        var ids = tensor(guided.PromptIds!, dtype: int64).unsqueeze(0);
        var context = cat([extractor.TextEncoder.forward(ids), extractor.TextEncoder.forward(ids)], 0);
        using var latent = extractor.Vae.Encode(pixels);
        var sample = cat([latent.Mean, latent.Mean], 0) * extractor.Vae.Config.ScalingFactor;
        var t = full(2, 50L, dtype: int64);
        void Timed(Action action)
        {
            using var scope = NewDisposeScope();
            action();
        }
        var stages = Measure.Interleaved(2, iterations,
            ("VAE encode (1 image)", () => Timed(() => extractor.Vae.Encode(pixels).Dispose())),
            ("text encoder (1 prompt)", () => Timed(() => extractor.TextEncoder.forward(ids))),
            ($"U-Net to {tap} (2 rows, early stop)", () => Timed(() => extractor.UNet.Run(sample, t, context, [tap]))),
            ("U-Net full forward (2 rows)", () => Timed(() => extractor.UNet.forward(sample, t, context))));
        foreach (var timing in stages) Console.WriteLine(timing);
        Measure.PrintRatio($"U-Net early stop at {tap} / full U-Net", stages[2], stages[3]);
        var total = Timing.Sum("VAE + text + U-Net to tap", stages[0], stages[1], stages[2]);
        Measure.PrintRatio("VAE / (VAE + text + U-Net to tap)", stages[0], total);
        Measure.PrintRatio("text encoder / (VAE + text + U-Net to tap)", stages[1], total);
        Measure.PrintRatio("U-Net to tap / (VAE + text + U-Net to tap)", stages[2], total);
    }

    /// <summary>What the gateway asks the diffusion service for one question about one image: before the latent
    /// cache (a conditional and an unconditional Encode from the image), and after (one HALVES Encode of a cold image
    /// that returns its latent; the conditional row from that latent for a new question).</summary>
    private sealed record GatewayRequests(PreparedFeatureRequest ColdHalves, PreparedFeatureRequest ConditionalFromImage,
        PreparedFeatureRequest UnconditionalFromImage, PreparedFeatureRequest ConditionalFromLatent)
    {
        public static GatewayRequests Of(StableDiffusionFeatureExtractor extractor, RgbImage image)
        {
            var question = new FeatureRequest
            {
                Prompt = "what is the man holding?", Seed = 7, Taps = [DiffusionFeatureOptions.PaperTap], Variant = ConditioningVariant.Conditional,
            };
            var coldHalves = extractor.Prepare(question with { Variant = ConditioningVariant.Halves, ReturnLatent = true }, image);
            float[] cleanLatent;
            using (var scope = NewDisposeScope()) cleanLatent = extractor.Extract([coldHalves])[0].Latent!.to(float32).data<float>().ToArray();
            return new GatewayRequests(coldHalves, extractor.Prepare(question, image),
                extractor.Prepare(question with { Variant = ConditioningVariant.Unconditional }, image),
                extractor.Prepare(question with { Latent = cleanLatent, Image = ReadOnlyMemory<byte>.Empty }));
        }
    }

    private static RgbImage Pattern(int width, int height)
    {
        var pixels = new byte[width * height * 3];
        for (var i = 0; i < pixels.Length; i++) pixels[i] = (byte)((i * 37 + i / 1931) % 251);
        return new RgbImage(width, height, pixels);
    }
}
