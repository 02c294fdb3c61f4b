using System.Diagnostics;
using System.Globalization;
using Mustafar.Benchmarks.RealSize;
using Mustafar.CheckpointWriters;
using Mustafar.CheckpointWriters.RealSize;
using Mustafar.Models.Fusion;
using Mustafar.Tensors;
using Mustafar.Testing.Mesh;
using Mustafar.Torch;
using TorchSharp;

namespace Mustafar.Benchmarks.Mesh;

/// <summary>
/// The whole mesh as real processes (Redis, the CLIP, diffusion and generator services, the gateway; LocalMesh, wired
/// by deploy/topology.json as mesh.sh wires it), asked over HTTP <c>/v1/chat/completions</c> with stream=true, one
/// request at a time: the time to the first token of a cold request (a new image: every feature computed), a warm one
/// (the same image and question: every feature from Redis) and a new question about a known image (CLIP, the
/// unconditional half and the VAE latent from Redis: the text encoder and one U-Net pass run), interleaved, with the
/// gateway's per-stage timings. Args: none (the tiny demo checkpoints), or
/// <c>real-size [float32|bfloat16] [minutes, default 15]</c>: random-weight checkpoints at the real models' sizes
/// (<see cref="RealSizeCheckpoints"/>, written once under artifacts/real-size/).
/// </summary>
public sealed class MeshBenchmark : IBenchmark
{
    private const int Rounds = 7;
    private const int MaxTokens = 4;
    private const string Question = "What is on the table, and what colour is the mug?";

    public string Name => "mesh";

    public string Description => "the mesh as real processes over HTTP streaming: time to first token cold / warm / new question about a known image, " +
        "per-stage timings, diffusion new-question/cold; 'real-size [float32|bfloat16] [minutes]' at the real models' sizes";

    public async Task RunAsync(string[] args)
    {
        var realSize = RealSizeModels.Selected(args);
        var dtype = realSize ? RealSizeModels.DType(args) : torch.ScalarType.Float32;
        var budget = TimeSpan.FromMinutes(args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : realSize ? 15 : 2);
        var models = realSize ? WriteRealSizeModels() : await LocalMesh.DemoModelsAsync(FusionKind.CrossAttention);
        var dtypeName = DTypes.Name(TorchDTypes.ToDType(dtype));

        var starting = Stopwatch.StartNew();
        await using var mesh = await LocalMesh.StartAsync(new LocalMeshOptions
        {
            Models = models,
            // As mesh.sh runs the services: libtorch's own thread count (LocalMesh's tests pin one thread each).
            ServiceEnvironment = new Dictionary<string, string> { ["MUSTAFAR__Model__DType"] = dtypeName, ["MUSTAFAR__Model__IntraOpThreads"] = "0" },
            ReadyTimeout = TimeSpan.FromMinutes(20),
        });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"mesh ready in {starting.Elapsed.TotalSeconds:F0} s: {(realSize ? "real-size" : "tiny demo")} checkpoints in {models.Root}, compute dtype {dtypeName}, " +
            $"{Environment.ProcessorCount} cores; one request at a time, max_tokens {MaxTokens}, greedy, logprobs on (every token is a chunk)"));

        using var http = new HttpClient { BaseAddress = mesh.GatewayHttp, Timeout = TimeSpan.FromMinutes(10) };
        var known = TestImages.Png(640, 480, 7);
        var answers = new Dictionary<string, List<StreamedAnswer>>(StringComparer.Ordinal);
        var (nextImage, nextQuestion) = (0, 0);
        Func<double> Case(string label, Func<(byte[] Image, string Question)> next) => () =>
        {
            var (image, question) = next();
            var answer = StreamedAnswer.AskAsync(http, image, question, MaxTokens).GetAwaiter().GetResult();
            if (!answers.TryGetValue(label, out var list)) answers[label] = list = [];
            list.Add(answer);
            return answer.TimeToFirstTokenMs;
        };
        const string cold = "cold (new image)", warm = "warm (same image and question)", newQuestion = "new question, known image";
        var cases = new (string Label, Func<double> RunMs)[]
        {
            (cold, Case(cold, () => (TestImages.Png(640, 480, 1000 + nextImage++), Question))),
            (warm, Case(warm, () => (known, Question))),
            (newQuestion, Case(newQuestion, () => (known, $"Question {++nextQuestion}: is there anything yellow on the left?"))),
        };

        // Warm-up: the known image's first answer (a cold request: it fills the cache) and a first new question.
        Console.WriteLine($"warm-up, known image, first ask:    {await StreamedAnswer.AskAsync(http, known, Question, MaxTokens)}");
        Console.WriteLine($"warm-up, known image, new question: {await StreamedAnswer.AskAsync(http, known, "Question 0: what is on the right?", MaxTokens)}");

        Console.WriteLine($"interleaved rounds (time to first token at the client), budget {budget.TotalMinutes:F0} min, at most {Rounds} rounds:");
        var results = Measure.InterleavedWithin(budget, Rounds, cases);
        Console.WriteLine($"rounds: {results[0].Runs}");
        foreach (var timing in results) Console.WriteLine(Spread(timing));
        Console.WriteLine("the gateway's own per-stage timings (median over the rounds, ms; clip and diffusion run in parallel):");
        foreach (var (label, list) in answers)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"   {label,-32} clip {Median(list, "clip_ms"),8:F0}   diffusion {Median(list, "diffusion_ms"),8:F0}   ttft {Median(list, "time_to_first_token_ms"),8:F0}   total {Median(list, "total_ms"),8:F0}   cache: {list[^1].Cache}"));

        var diffusionCold = StageTiming(answers[cold], "diffusion stage, cold", "diffusion_ms");
        var diffusionNew = StageTiming(answers[newQuestion], "diffusion stage, new question", "diffusion_ms");
        Measure.PrintRatio("diffusion stage: new question / cold (issue target <= 0.2)", diffusionNew, diffusionCold);
        Measure.PrintRatio("time to first token: warm / cold", results[1], results[0]);
        Measure.PrintRatio("time to first token: new question / cold", results[2], results[0]);
        if (realSize)
        {
            var layers = RealSizeCheckpoints.DefaultLayers;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"the generator has {layers} of Vicuna-7B's 32 decoder layers; the warm request's time to first token is almost all prefill: " +
                $"{results[1].MedianMs:F0} ms, x 32/{layers} = {results[1].MedianMs * 32 / layers:F0} ms if all of it scaled with depth (an upper bound: the embedding, " +
                $"fusion, projector and one lm_head row do not; bench.sh llama real-size measures the per-layer time)"));
        }
    }

    private static DemoCheckpoints.Paths WriteRealSizeModels()
    {
        var layers = RealSizeCheckpoints.DefaultLayers;
        var folder = Path.Combine(RepoPaths.Root, RealSizeCheckpoints.DefaultFolder(layers));
        var writing = Stopwatch.StartNew();
        var written = RealSizeCheckpoints.Ensure(folder, RealSizeConfigs.Load(RealSizeModels.ConfigFolder), new RealSizeCheckpoints.Options(layers));
        Console.WriteLine(written.Reused
            ? $"real-size checkpoints: reusing {folder}"
            : string.Create(CultureInfo.InvariantCulture, $"real-size checkpoints: wrote {folder} in {writing.Elapsed.TotalSeconds:F0} s"));
        return written.Paths;
    }

    private static double Median(IReadOnlyList<StreamedAnswer> answers, string stage) =>
        Measure.Percentile(answers.Select(a => a.Stage(stage)).Order().ToArray(), 0.5);

    private static Timing StageTiming(IReadOnlyList<StreamedAnswer> answers, string label, string stage) =>
        Measure.Summarize(label, answers.Select(a => a.Stage(stage)).ToList());

    private static string Spread(Timing t) => string.Create(CultureInfo.InvariantCulture,
        $"   {t.Label,-32} median {t.MedianMs,8:F0} ms   (min {t.MinMs:F0} .. max {t.Samples.Max():F0}, n={t.Runs})");
}
