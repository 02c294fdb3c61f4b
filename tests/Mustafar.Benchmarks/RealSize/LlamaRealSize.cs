using System.Globalization;
using Mustafar.Benchmarks.Llama;
using Mustafar.Models.Llama;
using static TorchSharp.torch;

namespace Mustafar.Benchmarks.RealSize;

/// <summary>
/// <c>bench.sh llama real-size [float32|bfloat16] [layers]</c>: a LLaMA with Vicuna-7B's layer shapes (hidden 4096,
/// 32 heads, intermediate 11008, vocabulary 32000), random weights built in memory, at 1 and at <c>layers</c>
/// (default 3) decoder layers, measured interleaved: prefill, cached decode at batch 1 and 8. Each round's
/// difference between the two depths is the time of <c>layers - 1</c> decoder layers, so 32 layers are scaled as
/// time(1 layer) + 31 x per-layer time (the embedding, final norm and lm_head counted once, as in the real model).
/// The same run measures this machine's matmul peak and memory bandwidth (<see cref="MachinePeaks"/>) and prints
/// prefill GFLOP/s as a share of the matmul peak and decode's weight bytes per second as a share of the bandwidth.
/// </summary>
public static class LlamaRealSize
{
    private const int RealLayers = 32;
    private const int PrefillTokens = 128;
    private const int DecodeSteps = 8;
    private const int Batch = 8;

    public static void Run(string[] args)
    {
        var dtype = RealSizeModels.DType(args);
        var layers = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
        if (layers < 2) throw new ArgumentException($"layers must be at least 2 (the scaling needs two depths), not {layers}");
        using var _ = no_grad();
        var peaks = MachinePeaks.Measure(runs: 5);
        Console.WriteLine(peaks);

        using var shallow = RealSizeModels.Vicuna7BShapes(1, dtype);
        using var deep = RealSizeModels.Vicuna7BShapes(layers, dtype);
        var config = deep.Config;
        long Parameters(LlamaForCausalLM model) => model.parameters().Sum(p => p.numel());
        var perLayer = (Parameters(deep) - Parameters(shallow)) / (layers - 1);
        var outsideLayers = Parameters(shallow) - perLayer;
        var elementBytes = ElementSize(dtype);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Vicuna-7B shapes, {dtype}, random weights: {perLayer / 1e6:F1}M parameters per layer, {outsideLayers / 1e6:F1}M outside the layers; " +
            $"measured at 1 and {layers} layers ({(outsideLayers + layers * perLayer) * elementBytes / 1e9:F2} GB), 32 layers would be {(outsideLayers + RealLayers * perLayer) * elementBytes / 1e9:F2} GB"));
        Console.WriteLine($"scaling: 32-layer time = time(1 layer) + 31 x (time({layers} layers) - time(1 layer)) / {layers - 1}, per interleaved round");

        (string, Func<Func<double>>)[] Cases(LlamaForCausalLM model, int depth) =>
        [
            ($"{depth} layers: prefill b1 x {PrefillTokens} tokens", () => LlamaBenchmark.Prefill(model, PrefillTokens)),
            ($"{depth} layers: decode b1 x {DecodeSteps} steps", () => LlamaBenchmark.CachedDecode(model, 1, DecodeSteps)),
            ($"{depth} layers: decode b{Batch} x {DecodeSteps} steps", () => LlamaBenchmark.CachedDecode(model, Batch, DecodeSteps)),
        ];
        var timings = Measure.InterleavedWithSetup(warmup: 1, Measure.MinRounds, [.. Cases(shallow, 1), .. Cases(deep, layers)]);
        foreach (var timing in timings) Console.WriteLine(timing);

        Timing Scaled(int kind, string label) => Measure.Summarize(label, [.. timings[kind].Samples.Zip(timings[kind + 3].Samples,
            (one, many) => one + (RealLayers - 1) * (many - one) / (layers - 1))]);
        var prefill = Scaled(0, $"32 layers (scaled): prefill b1 x {PrefillTokens} tokens");
        var decode1 = Scaled(1, $"32 layers (scaled): decode b1 x {DecodeSteps} steps");
        var decode8 = Scaled(2, $"32 layers (scaled): decode b{Batch} x {DecodeSteps} steps");
        foreach (var timing in new[] { prefill, decode1, decode8 }) Console.WriteLine(timing);
        var noisyRounds = Enumerable.Range(0, 3).Sum(kind => timings[kind].Samples.Zip(timings[kind + 3].Samples).Count(pair => pair.Second <= pair.First));
        if (noisyRounds > 0)
            Console.WriteLine($"MEASUREMENT ERROR in {noisyRounds} of {3 * timings[0].Samples.Count} rounds: the {layers}-layer model was not slower than the " +
                "1-layer one, so those rounds' per-layer times are noise (the machine was too busy); rerun on a quiet machine.");

        // Prefill FLOPs: every layer's matmuls for every token, attention scores and values over the whole prompt
        // (counted in full, as the kernel computes them), and the lm_head for the last token only.
        var hidden = (double)config.HiddenSize;
        var layerFlops = 2.0 * PrefillTokens * perLayer + 4.0 * PrefillTokens * PrefillTokens * hidden;
        var prefillFlops = RealLayers * layerFlops + 2.0 * hidden * config.VocabSize;
        Console.WriteLine();
        PrintShare($"prefill GFLOP/s (32 layers) / {dtype} matmul peak {peaks.Gflops(dtype):F1} GFLOP/s", prefill,
            seconds => prefillFlops / seconds / 1e9, peaks.Gflops(dtype), "GFLOP/s");

        // Decode reads every layer's weights and the lm_head once per step, whatever the batch; the embedding
        // table only for the fed tokens' rows, and the KV cache (under 1% of the weights at these lengths) is not counted.
        var weightBytes = (RealLayers * (double)perLayer + hidden * config.VocabSize) * elementBytes;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"decode weight bytes per step (32 layers + lm_head): {weightBytes / 1e9:F2} GB"));
        PrintShare($"decode b1 weight GB/s / read bandwidth {peaks.ReadGBps:F1} GB/s", decode1,
            seconds => weightBytes * DecodeSteps / seconds / 1e9, peaks.ReadGBps, "GB/s");
        PrintShare($"decode b{Batch} weight GB/s / read bandwidth {peaks.ReadGBps:F1} GB/s", decode8,
            seconds => weightBytes * DecodeSteps / seconds / 1e9, peaks.ReadGBps, "GB/s");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"tokens/s (32 layers, scaled): prefill {PrefillTokens * 1000 / prefill.MedianMs:F1}, decode b1 {DecodeSteps * 1000 / decode1.MedianMs:F2}, decode b{Batch} {Batch * DecodeSteps * 1000 / decode8.MedianMs:F2}"));
    }

    /// <summary>A rate computed from each round's time, as a share of a peak: median and min..max over the rounds.</summary>
    private static void PrintShare(string what, Timing timing, Func<double, double> rate, double peak, string unit)
    {
        var rates = timing.Samples.Select(ms => rate(ms / 1000)).Order().ToArray();
        var median = Measure.Percentile(rates, 0.5);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"share  {what,-70} {median / peak,8:F3} (min {rates[0] / peak:F3} .. max {rates[^1] / peak:F3} over {rates.Length} rounds; {median:F1} {unit})"));
    }

    private static int ElementSize(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => 4,
        ScalarType.BFloat16 or ScalarType.Float16 => 2,
        _ => throw new ArgumentException($"no element size for {dtype}"),
    };
}
