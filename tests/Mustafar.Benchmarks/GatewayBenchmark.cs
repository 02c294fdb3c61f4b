using System.Globalization;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Mustafar.Benchmarks.RealSize;
using Mustafar.Benchmarks.Serving;
using Mustafar.Contracts.Clip.V1;
using Mustafar.Contracts.Diffusion.V1;
using Mustafar.Gateway.TestServers;
using Mustafar.Contracts.Generation.V1;
using Mustafar.Contracts.Tensors.V1;
using Mustafar.Contracts.Vqa.V1;

namespace Mustafar.Benchmarks;

/// <summary>
/// The gateway against the test servers (deterministic arithmetic, no models), with a real Redis: cold requests
/// (a new image: every feature computed) against warm ones (the same image: every feature from Redis), and the
/// gateway's own overhead per request against a client calling the services directly for the same work, at
/// concurrency 1 and 16, beside the memcpy floor of a real-size request's features. Args: [iterations] (default 200).
/// </summary>
public sealed class GatewayBenchmark : IBenchmark
{
    public string Name => "gateway";

    public string Description => "gateway: cold (cache miss) vs warm (cache hit) latency, overhead vs calling the services directly at c=1 and c=16 vs the memcpy floor";

    private const int Concurrency = 16;
    private const int RequestsPerLoadRound = 64;

    public async Task RunAsync(string[] args)
    {
        var iterations = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200;
        const int warmup = 20;
        await using var mesh = await TestMesh.StartAsync();
        var gateway = mesh.Gateway;
        const string question = "What is on the mat?";

        // Images are made before timing starts; each cold request takes the next one.
        var fresh = new Queue<string>(Enumerable.Range(0, warmup + iterations).Select(i => TestImages.DataUrl(TestImages.Png(32, 32, 1_000_000 + i))));
        var known = TestImages.Png(32, 32, 7);
        var knownUrl = TestImages.DataUrl(known);

        using var clipChannel = GrpcChannel.ForAddress(mesh.ClipHosts[0].GrpcAddress);
        using var diffusionChannel = GrpcChannel.ForAddress(mesh.DiffusionHost.GrpcAddress);
        using var generatorChannel = GrpcChannel.ForAddress(mesh.GeneratorHost.GrpcAddress);
        var clip = new Contracts.Clip.V1.ClipEncoder.ClipEncoderClient(clipChannel);
        var diffusion = new Contracts.Diffusion.V1.DiffusionEncoder.DiffusionEncoderClient(diffusionChannel);
        var generator = new Contracts.Generation.V1.Generator.GeneratorClient(generatorChannel);
        var vqa = gateway.Vqa;

        void Http(string imageUrl, bool bypass = false) => PostAsync(gateway.Http, imageUrl, question, bypass).GetAwaiter().GetResult();

        var results = Measure.Interleaved(warmup, iterations,
            ("direct: CLIP + diffusion + generate (gRPC)", () => DirectAsync(clip, diffusion, generator, known, question).GetAwaiter().GetResult()),
            ("gateway HTTP, cache bypassed (same work)", () => Http(knownUrl, bypass: true)),
            ("gateway HTTP, cold (new image, miss)", () => Http(fresh.Dequeue())),
            ("gateway HTTP, warm (known image, hit)", () => Http(knownUrl)),
            ("gateway gRPC Ask, warm (hit)", () => AskAsync(vqa, known, question).GetAwaiter().GetResult()));
        foreach (var timing in results) Console.WriteLine(timing);

        var (direct, bypassed, cold, warm, grpcWarm) = (results[0], results[1], results[2], results[3], results[4]);
        Measure.PrintRatio("cold (miss) / warm (hit), HTTP", cold, warm);
        Measure.PrintRatio("gateway (bypass) / direct calls, same work", bypassed, direct, wrapsDenominator: true);
        Measure.PrintRatio("gateway warm gRPC / direct calls", grpcWarm, direct);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"gateway overhead per request (median of per-pair bypass - direct): {Measure.PairedDifference(bypassed, direct):F3} ms"));

        // The same at concurrency 16: rounds of the same requests through the gateway and directly, alternating.
        var direct16 = new List<double>();
        var gateway16 = new List<double>();
        for (var round = 0; round < Measure.MinRounds; round++)
            foreach (var viaGateway in round % 2 == 0 ? new[] { false, true } : [true, false])
            {
                var load = await ConcurrentLoad.RunAsync(viaGateway ? "gateway HTTP, cache bypassed" : "direct calls", Concurrency, RequestsPerLoadRound,
                    _ => viaGateway ? PostAsync(gateway.Http, knownUrl, question, bypass: true) : DirectAsync(clip, diffusion, generator, known, question));
                (viaGateway ? gateway16 : direct16).Add(load.Percentile(0.5));
            }
        var gatewayAt16 = Measure.Summarize($"gateway HTTP, cache bypassed, c={Concurrency} (p50 per round)", gateway16);
        var directAt16 = Measure.Summarize($"direct calls, c={Concurrency} (p50 per round)", direct16);
        Console.WriteLine(gatewayAt16);
        Console.WriteLine(directAt16);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"gateway overhead per request at concurrency {Concurrency} (median of per-round p50 differences): {Measure.PairedDifference(gatewayAt16, directAt16):F3} ms"));
        var floor = RealSizeFeatureCopy.Measure();
        Console.WriteLine(floor);
        Console.WriteLine("the test servers' features are small (CLIP 16x8, diffusion 16x6 floats), so the overheads above are the gateway's fixed cost per request; " +
            "the floor is what moving a real-size request's features costs at the least, once.");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"encoder calls: CLIP {mesh.ClipEncodeCalls}, diffusion halves {mesh.Diffusion.HalvesCalls} conditional {mesh.Diffusion.ConditionalCalls} unconditional {mesh.Diffusion.UnconditionalCalls} (VAE runs {mesh.Diffusion.VaeRuns}), generator {mesh.Generator.GenerateCalls}"));
        Console.WriteLine("note: test servers compute no model, so these times are the mesh's plumbing; rerun on real (tiny) models for end-to-end numbers.");
    }

    private static async Task PostAsync(HttpClient http, string imageUrl, string question, bool bypass)
    {
        var body = $$$"""{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"{{{imageUrl}}}"}},{"type":"text","text":"{{{question}}}"}]}],"max_tokens":8}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (bypass) request.Headers.Add("X-Mustafar-Cache", "bypass");
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"HTTP {(int)response.StatusCode}: {text}");
    }

    private static async Task AskAsync(VisualQuestionAnswering.VisualQuestionAnsweringClient vqa, byte[] image, string question)
    {
        using var call = vqa.Ask(new AskRequest
        {
            Image = ByteString.CopyFrom(image),
            Question = question,
            Options = new AskOptions { Sampling = new SamplingParams { MaxNewTokens = 8 } },
        });
        await foreach (var _ in call.ResponseStream.ReadAllAsync()) { }
    }

    /// <summary>What a client does without the gateway: both encoders, then the generator.</summary>
    private static async Task DirectAsync(Contracts.Clip.V1.ClipEncoder.ClipEncoderClient clip, Contracts.Diffusion.V1.DiffusionEncoder.DiffusionEncoderClient diffusion,
        Contracts.Generation.V1.Generator.GeneratorClient generator, byte[] image, string question)
    {
        var bytes = ByteString.CopyFrom(image);
        var clipTask = clip.EncodeAsync(new Mustafar.Contracts.Clip.V1.EncodeRequest { Image = bytes, Options = new EncodeOptions { SelectLayer = -2 } }).ResponseAsync;
        var diffusionRequest = new Mustafar.Contracts.Diffusion.V1.EncodeRequest { Image = bytes, Prompt = question, Variant = FeatureVariant.Unconditional };
        diffusionRequest.Taps.Add(TestDiffusionEncoder.DefaultTap);
        var diffusionTask = diffusion.EncodeAsync(diffusionRequest).ResponseAsync;
        await Task.WhenAll(clipTask, diffusionTask);

        var generate = new GenerateRequest { FusionMode = FusionMode.ConcatTokens, Sampling = new SamplingParams { MaxNewTokens = 8 } };
        generate.Features.Add(new NamedTensor { Name = "clip", Tensor = clipTask.Result.Features });
        generate.Features.Add(new NamedTensor { Name = "diffusion", Tensor = diffusionTask.Result.Features[0].Features });
        generate.Messages.Add(new ChatMessage { Role = Role.User, Content = question });
        using var call = generator.Generate(generate);
        await foreach (var _ in call.ResponseStream.ReadAllAsync()) { }
    }
}
