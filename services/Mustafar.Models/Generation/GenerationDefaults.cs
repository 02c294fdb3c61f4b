using Mustafar.Models.Checkpoints;

namespace Mustafar.Models.Generation;

/// <summary>A checkpoint's <c>generation_config.json</c>: sampling defaults and end-of-sequence ids, with
/// transformers' GenerationConfig defaults for what it leaves out (do_sample false = greedy, top_k 50 when sampling,
/// top_p 1, repetition_penalty 1).</summary>
public static class GenerationDefaults
{
    public const string FileName = "generation_config.json";

    public static (SamplingParameters Sampling, IReadOnlyList<int>? EosIds) Load(string folder, int defaultMaxNewTokens)
    {
        var path = Path.Combine(folder, FileName);
        var config = File.Exists(path) ? HfConfig.Load(path) : new HfConfig([], path);
        var sampling = new SamplingParameters
        {
            MaxNewTokens = config.Int("max_new_tokens", defaultMaxNewTokens),
            Temperature = config.Bool("do_sample", false) ? (float)config.Double("temperature", 1.0) : 0f,
            TopK = config.Int("top_k", 50),
            TopP = (float)config.Double("top_p", 1.0),
            RepetitionPenalty = (float)config.Double("repetition_penalty", 1.0),
        };
        IReadOnlyList<int>? eos = !config.Has("eos_token_id") ? null
            : config.Raw("eos_token_id") is System.Text.Json.Nodes.JsonArray ? config.IntArray("eos_token_id", []) : [config.RequireInt("eos_token_id")];
        return (sampling, eos);
    }
}
