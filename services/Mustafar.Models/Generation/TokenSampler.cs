using Mustafar.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Mustafar.Models.Generation;

/// <summary>A sampled token id and, when asked for, its raw log-probability and the top alternatives (id, logprob),
/// most likely first.</summary>
internal readonly record struct SampledToken(int Id, float? Logprob, IReadOnlyList<(int Id, float Logprob)> Top);

/// <summary>
/// Picks a sequence's next token from its logits, in vLLM's order (<see cref="SamplingParameters"/>): the logit bias,
/// transformers' RepetitionPenaltyLogitsProcessor, OpenAI's frequency and presence penalties over the tokens this
/// sampler produced, then greedy argmax or Temperature -> TopK -> TopP warpers and an inverse-CDF draw from
/// <see cref="SamplingRandom"/>. The candidates are sorted on the device and only the kept ones are copied to the
/// host for the draw, in double precision. One sampler per sequence.
/// </summary>
internal sealed class TokenSampler(SamplingParameters parameters)
{
    private readonly SamplingRandom _random = new(parameters.Seed);
    private readonly Dictionary<int, int> _produced = [];

    public SamplingParameters Parameters => parameters;

    private bool CountsProduced => parameters.FrequencyPenalty != 0f || parameters.PresencePenalty != 0f;

    /// <param name="logits">[vocab] float32 logits of one sequence.</param>
    /// <param name="seen">Token ids the repetition penalty applies to (prompt text and generated so far).</param>
    public SampledToken Next(Tensor logits, IReadOnlyCollection<int> seen)
    {
        using var scope = NewDisposeScope();
        var raw = logits.to(ScalarType.Float32);
        var id = Pick(Adjust(raw, seen));
        if (CountsProduced) _produced[id] = _produced.GetValueOrDefault(id) + 1;
        return parameters.Logprobs ? WithLogprobs(raw, id) : new SampledToken(id, null, []);
    }

    /// <summary>The logits the draw sees: bias, then the penalties.</summary>
    private Tensor Adjust(Tensor scores, IReadOnlyCollection<int> seen)
    {
        if (parameters.LogitBias.Count > 0) scores = AddAt(scores, parameters.LogitBias.Select(b => (b.Key, b.Value)));
        if (parameters.RepetitionPenalty != 1f && seen.Count > 0) scores = Penalize(scores, seen, parameters.RepetitionPenalty);
        if (CountsProduced && _produced.Count > 0)
        {
            // OpenAI: mu[j] - c[j] * frequency_penalty - (c[j] > 0) * presence_penalty, c[j] counting this output's j.
            scores = AddAt(scores, _produced.Select(p => (p.Key, -(p.Value * parameters.FrequencyPenalty + parameters.PresencePenalty))));
        }
        return scores;
    }

    private static Tensor AddAt(Tensor scores, IEnumerable<(int Id, float Value)> entries)
    {
        var list = entries.ToArray();
        var ids = tensor(list.Select(e => (long)e.Id).ToArray(), ScalarType.Int64, scores.device);
        var values = tensor(list.Select(e => e.Value).ToArray(), ScalarType.Float32, scores.device);
        return scores.scatter_add(0, ids, values);
    }

    private SampledToken WithLogprobs(Tensor raw, int id)
    {
        var logprobs = nn.functional.log_softmax(raw, 0);
        var chosen = logprobs[id].item<float>();
        var k = Math.Min(parameters.TopLogprobs, (int)raw.shape[0]);
        if (k == 0) return new SampledToken(id, chosen, []);
        var (values, indices) = logprobs.topk(k, largest: true, sorted: true);
        var top = values.cpu().data<float>().ToArray().Zip(indices.cpu().data<long>().ToArray(), (v, i) => ((int)i, v)).ToArray();
        return new SampledToken(id, chosen, top);
    }

    private int Pick(Tensor scores)
    {
        if (parameters.Greedy) return (int)scores.argmax().item<long>();

        scores = scores.Div(parameters.Temperature);
        var vocab = (int)scores.shape[0];
        var (values, indices) = parameters.TopK > 0 && parameters.TopK < vocab
            ? scores.topk(parameters.TopK, largest: true, sorted: true)
            : scores.sort(descending: true);
        var probabilities = nn.functional.softmax(values, 0);
        var keep = (int)probabilities.shape[0];
        if (parameters.TopP < 1f)
        {
            // Keep the smallest prefix whose mass reaches top_p: token i stays while the mass before it is < top_p
            // (transformers' TopPLogitsWarper, from the other end), and at least one token.
            var before = probabilities.cumsum(0) - probabilities;
            keep = Math.Max(1, (int)before.Lt(parameters.TopP).sum().item<long>());
        }
        var kept = probabilities.narrow(0, 0, keep).to(ScalarType.Float64).cpu().data<double>().ToArray();
        var ids = indices.narrow(0, 0, keep).cpu().data<long>().ToArray();
        return (int)ids[Draw(kept)];
    }

    private int Draw(double[] weights)
    {
        var total = weights.Sum();
        var target = _random.NextDouble() * total;
        var cumulative = 0.0;
        for (var i = 0; i < weights.Length; i++)
        {
            cumulative += weights[i];
            if (target < cumulative) return i;
        }
        return weights.Length - 1;
    }

    /// <summary>score / penalty where the score is positive, score * penalty where negative, for every seen id.</summary>
    internal static Tensor Penalize(Tensor scores, IReadOnlyCollection<int> seen, float penalty)
    {
        using var scope = NewDisposeScope();
        var ids = tensor(seen.Select(id => (long)id).ToArray(), ScalarType.Int64, scores.device);
        var current = scores.gather(0, ids);
        var penalized = where(current.Lt(0), current.Mul(penalty), current.Div(penalty));
        return scores.scatter(0, ids, penalized).MoveToOuterDisposeScope();
    }
}
