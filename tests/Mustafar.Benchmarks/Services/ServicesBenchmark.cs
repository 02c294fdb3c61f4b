using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Mustafar.CheckpointWriters;
using Mustafar.ClipEncoder;
using Mustafar.DiffusionEncoder;
using Mustafar.Contracts.Generation.V1;
using Mustafar.Generator;
using Mustafar.Models.Checkpoints;
using Mustafar.Models.Clip;
using Mustafar.Models.Diffusion;
using Mustafar.Models.Generation;
using Mustafar.Serving;
using Mustafar.Tensors;
using Mustafar.Contracts.Tensors.V1;
using Mustafar.Benchmarks.Serving;
using Mustafar.Testing;
using Mustafar.Torch;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using Mustafar.Contracts.Clip.V1;
using Mustafar.Contracts.Diffusion.V1;

namespace Mustafar.Benchmarks.Services;

/// <summary>
/// The three model hosts, each started in process on loopback exactly as its Program.cs builds it, over a small
/// random-weight model written to a temp folder, and driven by a local gRPC client: the service latency against
/// the same work done directly in process (same model files, same per-request work: decode and preprocess, forward,
/// tensor to message) at concurrency 1, measured interleaved; that ratio is the mesh overhead (gRPC, queue, thread
/// hop, batch assembly). Then closed-loop load at concurrency 1, 4 and 16: throughput, p50/p95/p99 latency and the
/// mean batch size from the host's own batch-size histogram (for the generator: sequences per decode step).
/// Args: [requests per load level, default 64 (half for diffusion)] [service: clip, diffusion or generator; default all].
/// </summary>
public sealed class ServicesBenchmark : IBenchmark
{
    private static readonly int[] Concurrency = [1, 4, 16];

    public string Name => "services";

    public string Description => "model hosts over gRPC: latency vs direct in-process calls (mesh overhead), load at concurrency 1/4/16";

    public async Task RunAsync(string[] args)
    {
        var requests = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 64;
        var only = args.Length > 1 ? args[1] : null;
        var root = Path.Combine(Path.GetTempPath(), $"mustafar-bench-services-{Guid.NewGuid():N}");
        try
        {
            // Every checkpoint is written before any host runs: the CLIP writer switches TorchSharp's
            // process-wide default device while it lays out keys.
            var clip = Path.Combine(root, "clip");
            var diffusion = Path.Combine(root, "diffusion");
            var generator = Path.Combine(root, "generator");
            TinyClipVisionCheckpoint.Write(clip, SmallClip, seed: 1);
            TinyStableDiffusionWriter.Write(diffusion, TinyStableDiffusionPreset.Small, seed: 1);
            TinyLlavaCheckpoint.Write(generator, SmallLlava);
            Console.WriteLine($"{torch.get_num_threads()} torch threads; hosts on loopback h2c, MaxBatchSize 8, MaxBatchDelayMs 2; {requests} requests per load level");
            Console.WriteLine("the encoders' service latency at concurrency 1 includes the 2 ms a lone request waits for company (MaxBatchDelayMs)");

            if (only is null or "clip") await RunClipAsync(clip, requests);
            if (only is null or "diffusion") await RunDiffusionAsync(diffusion, Math.Max(16, requests / 2));
            if (only is null or "generator") await RunGeneratorAsync(generator, requests);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>ViT 4 x 256 on 112 px (7x7 patches of 16): a CLIP tower small enough for two cores.</summary>
    private static readonly ClipVisionConfig SmallClip =
        new(new ClipEncoderConfig(256, 1024, 4, 8, "quick_gelu", 1e-5), ImageSize: 112, PatchSize: 16, NumChannels: 3, ProjectionDim: 128);

    /// <summary>A 4-layer LLaMA (hidden 256, GQA 8/4 heads) fusing CLIP and diffusion tokens.</summary>
    private static readonly TinyLlavaOptions SmallLlava = TinyLlavaOptions.Preset("tiny-concat-tokens") with
    {
        Seed = 1, HiddenSize = 256, IntermediateSize = 688, Layers = 4, Heads = 8, KeyValueHeads = 4, MaxPositionEmbeddings = 1024,
    };

    private static async Task RunClipAsync(string folder, int requests)
    {
        var images = Images();
        using var direct = ClipVisionEncoder.Load(folder);
        var info = direct.Info;
        Console.WriteLine();
        Console.WriteLine($"== ClipEncoder: ViT {info.NumLayers} x {info.HiddenSize}, {info.ImageSize} px, {info.GridHeight}x{info.GridWidth} patches, 320x240 PNG in");
        await using var host = await LoopbackHost<ClipEncoderService, ClipVisionEncoder>.StartAsync(folder, ClipEncoderService.Loader);
        var client = new Mustafar.Contracts.Clip.V1.ClipEncoder.ClipEncoderClient(host.Channel);
        await host.MeasureAsync("encode", requests,
            i =>
            {
                using var scope = torch.NewDisposeScope();
                using var noGrad = torch.no_grad();
                var features = direct.Encode([direct.Preprocess(images[i % images.Length].Memory)])[0];
                TorchTensorBridge.ToProto(features);
            },
            i => client.EncodeAsync(new Contracts.Clip.V1.EncodeRequest { Image = images[i % images.Length] }).ResponseAsync);
    }

    private static async Task RunDiffusionAsync(string folder, int requests)
    {
        var images = Images();
        using var direct = StableDiffusionFeatureExtractor.Load(folder);
        Console.WriteLine();
        Console.WriteLine($"== DiffusionEncoder: SD 2.1 topology, \"small\" preset, {direct.Info.ImageSize} px, guided (2 U-Net rows), tap {DiffusionFeatureOptions.PaperTap}");
        await using var host = await LoopbackHost<DiffusionEncoderService, StableDiffusionFeatureExtractor>.StartAsync(folder, DiffusionEncoderService.Loader);
        var client = new Mustafar.Contracts.Diffusion.V1.DiffusionEncoder.DiffusionEncoderClient(host.Channel);
        const string prompt = "what is the man holding?";
        await host.MeasureAsync("encode", requests,
            i =>
            {
                using var scope = torch.NewDisposeScope();
                var request = new FeatureRequest { Image = images[i % images.Length].Memory, Prompt = prompt, GuidanceScale = 4, Seed = (ulong)i };
                foreach (var tap in direct.Extract([direct.Prepare(request)])[0].Features) TorchTensorBridge.ToProto(tap.Tokens);
            },
            i => client.EncodeAsync(new Contracts.Diffusion.V1.EncodeRequest { Image = images[i % images.Length], Prompt = prompt, GuidanceScale = 4, Seed = (ulong)i }).ResponseAsync);
    }

    private static async Task RunGeneratorAsync(string folder, int requests)
    {
        const int newTokens = 16;
        using var direct = GeneratorModel.Load(folder);
        var specs = direct.Info.ExpectedFeatures;
        Console.WriteLine();
        Console.WriteLine($"== Generator: LLaMA {SmallLlava.Layers} x {SmallLlava.HiddenSize}, {direct.Info.FusionMode} fusion ({direct.Info.ImageTokens} image tokens), {newTokens} new tokens greedy per request");
        var features = specs.Select((s, k) => TensorCodec.Named(s.Name, TensorCodec.FromFloat32(
            Enumerable.Range(0, s.Tokens * s.Channels).Select(v => MathF.Sin(v * 0.37f + k)).ToArray(), [s.Tokens, s.Channels], DType.Float32))).ToArray();
        await using var host = await LoopbackHost<GeneratorService, GeneratorModel>.StartAsync(folder, GeneratorService.Loader);
        var client = new Mustafar.Contracts.Generation.V1.Generator.GeneratorClient(host.Channel);
        string Question(int i) => $"Question {i % 7}: what is in the picture?";
        await host.MeasureAsync("generate", requests,
            i =>
            {
                using var scope = torch.NewDisposeScope();
                var tensors = features.ToDictionary(f => f.Name, f => TorchTensorBridge.ToTorch(f.Tensor, f.Name));
                direct.Generate(new GenerationRequest
                {
                    Messages = [new ConversationTurn(ChatRole.User, Question(i))],
                    Features = tensors,
                    Sampling = new SamplingRequest { MaxNewTokens = newTokens, Temperature = 0 },
                });
            },
            async i =>
            {
                var request = new GenerateRequest { Sampling = new SamplingParams { MaxNewTokens = newTokens, Temperature = 0 } };
                request.Features.Add(features);
                request.Messages.Add(new Mustafar.Contracts.Generation.V1.ChatMessage { Role = Role.User, Content = Question(i) });
                using var call = client.Generate(request);
                await foreach (var _ in call.ResponseStream.ReadAllAsync()) { }
            });
    }

    /// <summary>Eight noisy 320x240 PNGs (a photo-sized decode and resize per request).</summary>
    private static ByteString[] Images() => Enumerable.Range(0, 8).Select(seed =>
    {
        var random = new Random(seed);
        using var image = new Image<Rgb24>(320, 240);
        for (var y = 0; y < 240; y++)
            for (var x = 0; x < 320; x++)
                image[x, y] = new Rgb24((byte)x, (byte)(y + random.Next(32)), (byte)((x ^ y) + seed));
        using var stream = new MemoryStream();
        image.Save(stream, new PngEncoder());
        return ByteString.CopyFrom(stream.ToArray());
    }).ToArray();

    /// <summary>A host built as its Program.cs builds it, on free loopback ports, with a client channel.</summary>
    private sealed class LoopbackHost<TService, TModel> : IAsyncDisposable
        where TService : class
        where TModel : class
    {
        private readonly WebApplication _app;

        private LoopbackHost(WebApplication app)
        {
            _app = app;
            var endpoints = app.Services.GetRequiredService<ServingEndpoints>();
            Channel = GrpcChannel.ForAddress(endpoints.GrpcAddress, new GrpcChannelOptions { MaxReceiveMessageSize = 64 * 1024 * 1024 });
            Http = new HttpClient { BaseAddress = endpoints.HttpAddress };
        }

        public GrpcChannel Channel { get; }
        private HttpClient Http { get; }

        public static async Task<LoopbackHost<TService, TModel>> StartAsync(string folder, ModelLoader<TModel> loader)
        {
            string[] args =
            [
                $"--Mustafar:Model:Path={folder}", "--Mustafar:Server:BindAddress=127.0.0.1", "--Mustafar:Server:GrpcPort=0",
                "--Mustafar:Server:HttpPort=0", "--Mustafar:Batching:MaxBatchSize=8", "--Mustafar:Batching:MaxBatchDelayMs=2",
                $"--contentRoot={folder}", "--Logging:LogLevel:Default=Warning",
            ];
            var app = ServingHost.Build<TService, TModel>(args, loader);
            await app.StartAsync();
            var status = app.Services.GetRequiredService<ServingStatus>();
            while (status.State == ServingState.Loading) await Task.Delay(20);
            if (!status.IsReady) throw new InvalidOperationException($"the host did not load: {status.FailureReason}");
            return new LoopbackHost<TService, TModel>(app);
        }

        /// <summary>Direct vs service at concurrency 1 (interleaved), then the service under load.</summary>
        public async Task MeasureAsync(string queue, int requests, Action<int> direct, Func<int, Task> service)
        {
            var next = 0;
            var single = Measure.Interleaved(warmup: 3, iterations: Math.Max(10, requests / 2),
                ("direct in-process (caller thread)", () => direct(next++)),
                ("service over gRPC, concurrency 1", () => service(next++).GetAwaiter().GetResult()));
            foreach (var timing in single) Console.WriteLine(timing);
            Measure.PrintRatio("mesh overhead: service / direct latency at concurrency 1", single[1], single[0], wrapsDenominator: true);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"mesh overhead per request (median of per-pair service - direct): {Measure.PairedDifference(single[1], single[0]):F3} ms"));

            foreach (var concurrency in Concurrency)
            {
                var (batches, rows) = await BatchesAsync(queue);
                var result = await ConcurrentLoad.RunAsync("service over gRPC", concurrency, requests, service);
                var (batchesAfter, rowsAfter) = await BatchesAsync(queue);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{result}   mean batch {(rowsAfter - rows) / (batchesAfter - batches):F2}"));
            }

            // Batching that never hurts: the same requests at concurrency 4 and 16, in alternating rounds.
            var runtime = _app.Services.GetRequiredService<ModelRuntime<TModel>>();
            Console.WriteLine($"batch cap {runtime.BatchCap} (configured {runtime.Batching.MaxBatchSize}): {runtime.Calibration?.ToString() ?? "not calibrated"}");
            var walls = new[] { new List<double>(), new List<double>() };
            for (var round = 0; round < Measure.MinRounds; round++)
                foreach (var level in round % 2 == 0 ? new[] { 0, 1 } : [1, 0])
                    walls[level].Add((await ConcurrentLoad.RunAsync("service over gRPC", level == 0 ? 4 : 16, requests, service)).Wall.TotalMilliseconds);
            Measure.PrintRatio("throughput at concurrency 16 / at concurrency 4 (same requests)",
                Measure.Summarize($"{requests} requests at concurrency 4", walls[0]), Measure.Summarize($"{requests} requests at concurrency 16", walls[1]));
        }

        private async Task<(double Batches, double Rows)> BatchesAsync(string queue)
        {
            var text = await Http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
            var label = $"queue=\"{queue}\"";
            return (PrometheusText.Value(text, "mustafar_batch_size_count", label), PrometheusText.Value(text, "mustafar_batch_size_sum", label));
        }

        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            Channel.Dispose();
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
