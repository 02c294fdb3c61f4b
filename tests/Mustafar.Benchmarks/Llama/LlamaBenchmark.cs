using System.Diagnostics;
using System.Globalization;
using Mustafar.Benchmarks.RealSize;
using Mustafar.Models.Llama;
using static TorchSharp.torch;

namespace Mustafar.Benchmarks.Llama;

/// <summary>
/// The LLaMA decoder on a random ~100M-parameter model (8 layers, hidden 768, GQA 12/4 heads, Llama vocabulary):
/// prefill tokens/s, cached decode tokens/s at batch 1 and 8, and cached against uncached decoding. Cases run
/// interleaved; each decode case prefills its prompt untimed, then times only its decode steps.
/// Arguments: [iterations] (default 5) [torch threads] (default libtorch's: one per core; 1 gives steadier numbers on
/// a machine that other jobs share); or <c>real-size [float32|bfloat16] [layers]</c> for Vicuna-7B's layer shapes
/// scaled to 32 layers against this machine's measured peaks (<see cref="LlamaRealSize"/>).
/// </summary>
public sealed class LlamaBenchmark : IBenchmark
{
    private const int PrefillTokens = 128;
    private const int DecodePrompt = 32;
    private const int DecodeTokens = 16;
    private const int Batch = 8;

    public string Name => "llama";

    public string Description => "LLaMA decoder (~100M random): prefill, KV-cache decode at batch 1 and 8, cache vs no cache; real-size: Vicuna-7B shapes vs machine peaks";

    public Task RunAsync(string[] args)
    {
        if (RealSizeModels.Selected(args))
        {
            LlamaRealSize.Run(args);
            return Task.CompletedTask;
        }
        var iterations = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5;
        if (args.Length > 1) set_num_threads(int.Parse(args[1], CultureInfo.InvariantCulture));
        var config = new LlamaConfig
        {
            VocabSize = 32000, HiddenSize = 768, IntermediateSize = 2048, NumHiddenLayers = 8,
            NumAttentionHeads = 12, NumKeyValueHeads = 4, HeadDim = 64, MaxPositionEmbeddings = 2048, RmsNormEps = 1e-5,
        };
        manual_seed(0);
        using var model = new LlamaForCausalLM(config);
        model.eval();
        var parameters = model.parameters().Sum(p => p.numel());
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"model: {config.NumHiddenLayers} layers, hidden {config.HiddenSize}, heads {config.NumAttentionHeads} (kv {config.NumKeyValueHeads}), vocab {config.VocabSize}: {parameters / 1e6:F1}M parameters, float32, {get_num_threads()} torch threads"));
        using var _ = no_grad();

        var cases = new (string Label, Func<Func<double>> Prepare)[]
        {
            ($"prefill b1 x {PrefillTokens} tokens", () => Prefill(model)),
            ($"decode b1 x {DecodeTokens} tokens, KV cache", () => CachedDecode(model, 1)),
            ($"decode b{Batch} x {DecodeTokens} tokens, KV cache", () => CachedDecode(model, Batch)),
            ($"decode b1 x {DecodeTokens} tokens, no cache", () => UncachedDecode(model)),
        };
        var timings = Measure.InterleavedWithSetup(warmup: 1, iterations, cases);
        foreach (var t in timings) Console.WriteLine(t);

        var (prefill, decode1, decode8, noCache) = (timings[0], timings[1], timings[2], timings[3]);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"tokens/s  prefill {PrefillTokens * 1000 / prefill.MedianMs,8:F1}   decode b1 {DecodeTokens * 1000 / decode1.MedianMs,8:F1}   " +
            $"decode b{Batch} {Batch * DecodeTokens * 1000 / decode8.MedianMs,8:F1}   decode b1 no cache {DecodeTokens * 1000 / noCache.MedianMs,8:F1}"));
        Measure.PrintRatio($"decode tokens/s, batch {Batch} / batch 1", decode1, decode8, scale: Batch);
        Measure.PrintRatio("decode time b1, no cache / KV cache", noCache, decode1);
        Measure.PrintRatio($"prefill tokens/s / decode b1 tokens/s", decode1, prefill, scale: (double)PrefillTokens / DecodeTokens);
        return Task.CompletedTask;
    }

    private static Tensor RandomPrompt(int batch, int tokens) => randint(3, 32000, [batch, tokens], dtype: ScalarType.Int64);

    /// <summary>Times the prefill of one random prompt of <paramref name="tokens"/> tokens (default 128), through
    /// to its first token.</summary>
    internal static Func<double> Prefill(LlamaForCausalLM model, int tokens = PrefillTokens)
    {
        var ids = RandomPrompt(1, tokens);
        return () =>
        {
            using var scope = NewDisposeScope();
            using var decoder = new LlamaBatchDecoder(model);
            var watch = Stopwatch.StartNew();
            decoder.Add([model.Embed(ids)[0]]).argmax(-1).data<long>().ToArray();
            return watch.Elapsed.TotalMilliseconds;
        };
    }

    /// <summary>Prefills <paramref name="batch"/> random prompts of 32 tokens untimed, then times
    /// <paramref name="steps"/> cached decode steps (default 16) of all of them.</summary>
    internal static Func<double> CachedDecode(LlamaForCausalLM model, int batch, int steps = DecodeTokens)
    {
        var ids = RandomPrompt(batch, DecodePrompt);
        return () =>
        {
            using var scope = NewDisposeScope();
            using var decoder = new LlamaBatchDecoder(model);
            var logits = decoder.Add([.. Enumerable.Range(0, batch).Select(b => model.Embed(ids[b]))]);
            var next = logits.argmax(-1).data<long>().ToArray();
            var watch = Stopwatch.StartNew();
            for (var step = 0; step < steps; step++)
            {
                using var stepScope = NewDisposeScope();
                next = decoder.Step(next).argmax(-1).data<long>().ToArray();
            }
            return watch.Elapsed.TotalMilliseconds;
        };
    }

    /// <summary>Greedy decoding that runs the whole sequence through the model for every token (no KV cache).</summary>
    private static Func<double> UncachedDecode(LlamaForCausalLM model)
    {
        var ids = RandomPrompt(1, DecodePrompt);
        return () =>
        {
            using var scope = NewDisposeScope();
            var sequence = ids.data<long>().ToList();
            var watch = Stopwatch.StartNew();
            for (var step = 0; step < DecodeTokens; step++)
            {
                using var stepScope = NewDisposeScope();
                var input = tensor(sequence.ToArray()).unsqueeze(0);
                var valid = ones(1, sequence.Count, dtype: ScalarType.Bool);
                var logits = model.forward(model.Embed(input), LlamaPositions.FromAttentionMask(valid), valid, cache: null, lastOnly: true);
                sequence.Add(logits[0, 0].argmax().item<long>());
            }
            return watch.Elapsed.TotalMilliseconds;
        };
    }
}
