using System.Globalization;
using Mustafar.Benchmarks.RealSize;
using Mustafar.CheckpointWriters;
using Mustafar.Models.Checkpoints;
using Mustafar.Models.Clip;
using Mustafar.Models.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using static TorchSharp.torch;

namespace Mustafar.Benchmarks.Clip;

/// <summary>
/// The CLIP vision encoder on CPU with a random ViT-B/16 (224, 86M parameters) written by the tiny writer:
/// forward time at batch 1 and 8 and the per-image ratio, preprocessing time per image, and loading that
/// checkpoint with Checkpoints/SafetensorsFile versus TorchSharp.PyBridge's Safetensors.LoadStateDict (time,
/// peak RSS, managed allocations). Options: --iterations N (default 3), --preset NAME (default vit-b-16), --batch N
/// (default 8). <c>real-size [float32|bfloat16]</c>: CLIP ViT-L/14-336 in that dtype at batch 4, forward rounds
/// started within --minutes (default 6), and preprocessing (the loaders are compared at the default size only).
/// </summary>
public sealed class ClipBenchmark : IBenchmark
{
    public string Name => "clip";

    public string Description => "CLIP vision (ViT-B/16, CPU): forward batch 1 vs 8, preprocessing, safetensors loader vs PyBridge; real-size: ViT-L/14-336";

    public Task RunAsync(string[] args)
    {
        // real-size: CLIP ViT-L/14-336 in the given dtype, batch 4 (a batch of 8 takes minutes on two cores).
        var realSize = RealSizeModels.Selected(args);
        var dtype = realSize ? RealSizeModels.DType(args) : ScalarType.Float32;
        var iterations = IntOption(args, "--iterations", 3);
        var batch = IntOption(args, "--batch", realSize ? 4 : 8);
        var preset = realSize ? "vit-l-14-336" : StringOption(args, "--preset", "vit-b-16");
        var folder = Path.Combine(Path.GetTempPath(), $"mustafar-bench-clip-{Guid.NewGuid():N}");
        try
        {
            TinyClipVisionCheckpoint.Write(folder, preset, seed: 1);
            var config = TinyClipVisionCheckpoint.Preset(preset);
            var bytes = new FileInfo(Path.Combine(folder, "model.safetensors")).Length;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"   preset {preset}: hidden {config.HiddenSize}, {config.NumLayers} layers, {config.ImageSize}px / {config.PatchSize}, checkpoint {bytes / 1e6:F0} MB fp32, computing in {dtype}, torch threads {get_num_threads()}"));
            using var encoder = ClipVisionEncoder.Load(folder, new ClipVisionEncoderOptions { DType = dtype });
            Forward(encoder, iterations, batch, dtype, realSize ? TimeSpan.FromMinutes(IntOption(args, "--minutes", 6)) : null);
            Preprocessing(encoder, iterations);
            // The loaders' comparison does not depend on the model's size, and at real size it takes minutes.
            if (!realSize) Loading(folder, config, iterations);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
        return Task.CompletedTask;
    }

    /// <param name="budget">Real size: no round starts once it is spent (after one warm-up run of each case).</param>
    private static void Forward(ClipVisionEncoder encoder, int iterations, int batch, ScalarType dtype, TimeSpan? budget)
    {
        Console.WriteLine();
        Console.WriteLine($"-- forward (all layers, patch tokens), {dtype} CPU");
        using var generator = new torch.Generator(7);
        using var one = randn([1, 3, encoder.Info.ImageSize, encoder.Info.ImageSize], generator: generator);
        using var many = randn([batch, 3, encoder.Info.ImageSize, encoder.Info.ImageSize], generator: generator);
        void Run(Tensor pixels, int layer)
        {
            using var scope = NewDisposeScope();
            encoder.Encode(pixels, layer, ClipFeatureSelect.Patch);
        }
        (string, Action)[] cases =
        [
            ("batch 1, layer -1", () => Run(one, -1)),
            ($"batch {batch}, layer -1", () => Run(many, -1)),
            ("batch 1, layer -2 (LLaVA)", () => Run(one, -2)),
        ];
        if (budget is not null) foreach (var (_, run) in cases) run();
        var timings = budget is { } time ? Measure.InterleavedWithin(time, Math.Max(iterations, Measure.MinRounds), cases) : Measure.Interleaved(1, iterations, cases);
        foreach (var t in timings) Console.WriteLine(t);
        Measure.PrintRatio($"batch-{batch} per-image time / batch-1 time", timings[1], timings[0], scale: 1.0 / batch);
        Measure.PrintRatio("layer -2 / layer -1 at batch 1 (stops after the selected layer)", timings[2], timings[0]);
    }

    private static void Preprocessing(ClipVisionEncoder encoder, int iterations)
    {
        Console.WriteLine();
        Console.WriteLine($"-- preprocessing per image to {encoder.Info.ImageSize}x{encoder.Info.ImageSize} (decode, resize, crop/pad, normalise)");
        var png = Encode(640, 480, new PngEncoder());
        var jpeg = Encode(1920, 1080, new JpegEncoder { Quality = 90 });
        var timings = Measure.Interleaved(2, iterations * 5,
            ("PNG 640x480, decode only", () => ImageDecoder.Decode(png)),
            ("PNG 640x480, pad", () => encoder.Preprocess(png, AspectFit.Pad)),
            ("PNG 640x480, crop", () => encoder.Preprocess(png, AspectFit.Crop)),
            ("JPEG 1920x1080, pad", () => encoder.Preprocess(jpeg, AspectFit.Pad)));
        foreach (var t in timings) Console.WriteLine(t);
        Measure.PrintRatio("PNG pad preprocessing / decode only", timings[1], timings[0]);
    }

    private static void Loading(string folder, ClipVisionConfig config, int iterations)
    {
        Console.WriteLine();
        Console.WriteLine("-- loading the checkpoint into a built fp32 model: Checkpoints/SafetensorsFile (mmap) vs TorchSharp.PyBridge 1.4.4");
        var path = Path.Combine(folder, "model.safetensors");
        using var model = new ClipVisionModel(config);
        void Ours()
        {
            using var checkpoint = SafetensorsCheckpoint.Open(path);
            StateDictLoader.Load(model, checkpoint, ClipCheckpointKeys.ClipVisionModel);
        }
        void PyBridge()
        {
            var state = TorchSharp.PyBridge.Safetensors.LoadStateDict(path);
            try
            {
                var (missing, unexpected) = model.load_state_dict(state, strict: true);
                if (missing.Count + unexpected.Count > 0) throw new InvalidOperationException("PyBridge load was incomplete");
            }
            finally
            {
                foreach (var tensor in state.Values) tensor.Dispose();
            }
        }

        var timings = Measure.Interleaved(1, iterations, ("SafetensorsFile + StateDictLoader", Ours), ("PyBridge LoadStateDict + load_state_dict", PyBridge));
        foreach (var t in timings) Console.WriteLine(t);
        Measure.PrintRatio("PyBridge / ours load time", timings[1], timings[0]);

        if (!ProcessMemory.Supported)
        {
            Console.WriteLine("   peak memory: not measured (needs Linux /proc)");
            return;
        }
        var ours = ProcessMemory.Measure(Ours);
        var theirs = ProcessMemory.Measure(PyBridge);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"   peak private (anonymous) memory above start: ours {ours.PeakAnonymousAboveStart / 1e6,6:F0} MB, PyBridge {theirs.PeakAnonymousAboveStart / 1e6,6:F0} MB   (sampled every ~1 ms)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"   peak RSS above start (incl. mapped file pages): ours {ours.PeakRssAboveStart / 1e6,6:F0} MB, PyBridge {theirs.PeakRssAboveStart / 1e6,6:F0} MB   (file {new FileInfo(path).Length / 1e6:F0} MB)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"   managed allocations: ours {ours.ManagedAllocated / 1e6,6:F1} MB, PyBridge {theirs.ManagedAllocated / 1e6,6:F1} MB"));
        var faster = timings[0].MedianMs <= timings[1].MedianMs ? "ours" : "PyBridge";
        var leaner = ours.PeakAnonymousAboveStart <= theirs.PeakAnonymousAboveStart ? "ours" : "PyBridge";
        Console.WriteLine($"   verdict: faster = {faster}; less private memory = {leaner}");
    }

    private static byte[] Encode(int width, int height, SixLabors.ImageSharp.Formats.IImageEncoder encoder)
    {
        using var image = new Image<Rgb24>(width, height);
        var random = new Random(3);
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                image[x, y] = new Rgb24((byte)(x * 255 / width), (byte)(y * 255 / height), (byte)((x / 16 + y / 16) % 2 == 0 ? random.Next(64) : 192 + random.Next(64)));
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }

    private static int IntOption(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static string StringOption(string[] args, string name, string fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}
