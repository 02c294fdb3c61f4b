using System.Globalization;
using Mustafar.Serving;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mustafar.Benchmarks.Serving;

/// <summary>
/// The serving runtime's own cost, in process and without gRPC: a transformer-sized feed-forward block called
/// directly on the caller's thread versus through the dynamic batcher and the inference thread, at concurrency
/// 1, 4 and 16. The ratio at concurrency 1 is the runtime's overhead per request (queue, thread hop, batch
/// assembly); at higher concurrency batching should raise throughput. The model hosts' benchmarks add gRPC.
/// </summary>
public sealed class ServingRuntimeBenchmark : IBenchmark
{
    private const int Width = 512;
    private const int Hidden = 2048;

    public string Name => "serving";

    public string Description => "serving runtime: direct forward vs dynamic batcher + inference thread, concurrency 1/4/16";

    public async Task RunAsync(string[] args)
    {
        var requests = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 400;
        using var thread = new InferenceThread("bench-inference");
        var model = await thread.RunUnscopedAsync(() =>
        {
            torch.manual_seed(7);
            var block = new FeedForward();
            block.eval();
            return block;
        });
        var status = new ServingStatus("bench");
        status.MarkReady();
        var metrics = new ServingMetrics("bench");
        var inputs = Enumerable.Range(0, 64).Select(i => Enumerable.Range(0, Width).Select(k => MathF.Sin(i + k * 0.01f)).ToArray()).ToArray();

        Console.WriteLine($"model: {Width} -> {Hidden} -> {Width} GELU feed-forward, float32, cpu, {torch.get_num_threads()} intra-op threads");
        // At concurrency 1 a lone request waits out MaxBatchDelay for company that never comes; delay 0 isolates
        // the cost of the queue and the thread hops.
        var immediate = Batcher(thread, model, status, metrics, maxBatch: 16, TimeSpan.Zero);
        var delayed = Batcher(thread, model, status, metrics, maxBatch: 16, TimeSpan.FromMilliseconds(1));
        var single = Measure.Interleaved(warmup: 20, iterations: Math.Max(50, requests / 4),
            ("direct forward (caller thread)", () => Direct(model, inputs[0])),
            ("batcher, delay 0", () => immediate.SubmitAsync(inputs[0], CancellationToken.None).GetAwaiter().GetResult()),
            ("batcher, delay 1 ms", () => delayed.SubmitAsync(inputs[0], CancellationToken.None).GetAwaiter().GetResult()));
        foreach (var batcher in new[] { immediate, delayed }) ((IWorkload)batcher).Stop(new ServiceUnavailableException("benchmark over"));
        foreach (var timing in single) Console.WriteLine(timing);
        Measure.PrintRatio("runtime (delay 0) / direct latency at concurrency 1", single[1], single[0], wrapsDenominator: true);
        Measure.PrintRatio("runtime (delay 1 ms) / direct latency at concurrency 1", single[2], single[0], wrapsDenominator: true);
        Console.WriteLine();

        foreach (var concurrency in new[] { 1, 4, 16 })
        {
            var batcher = Batcher(thread, model, status, metrics, maxBatch: 16, TimeSpan.FromMilliseconds(1));
            var result = await ConcurrentLoad.RunAsync("batcher + inference thread", concurrency, requests,
                i => batcher.SubmitAsync(inputs[i % inputs.Length], CancellationToken.None));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{result}   mean batch {(double)batcher.RequestsRun / batcher.BatchesRun:F2}"));
            ((IWorkload)batcher).Stop(new ServiceUnavailableException("benchmark over"));
        }
        await thread.RunAsync(model.Dispose);
    }

    private static float[] Direct(FeedForward model, float[] input)
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        return model.forward(torch.tensor(input, [1, Width])).data<float>().ToArray();
    }

    private static DynamicBatcher<float[], float[]> Batcher(InferenceThread thread, FeedForward model, ServingStatus status,
        ServingMetrics metrics, int maxBatch, TimeSpan delay) =>
        new("bench", new BatchingLimits(maxBatch, delay, 256),
            batch => thread.RunAsync<IReadOnlyList<float[]>>(() => RunBatch(model, batch)), null, status, metrics);

    private static float[][] RunBatch(FeedForward model, IReadOnlyList<float[]> batch)
    {
        var output = model.forward(torch.tensor(batch.SelectMany(r => r).ToArray(), [batch.Count, Width])).data<float>().ToArray();
        return Enumerable.Range(0, batch.Count).Select(i => output.AsSpan(i * Width, Width).ToArray()).ToArray();
    }

    private sealed class FeedForward : nn.Module<Tensor, Tensor>
    {
#pragma warning disable IDE1006 // state-dict style names
        private readonly Linear fc1 = nn.Linear(Width, Hidden);
        private readonly Linear fc2 = nn.Linear(Hidden, Width);
#pragma warning restore IDE1006

        public FeedForward() : base(nameof(FeedForward)) => RegisterComponents();

        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            return fc2.forward(nn.functional.gelu(fc1.forward(input))).MoveToOuterDisposeScope();
        }
    }
}
