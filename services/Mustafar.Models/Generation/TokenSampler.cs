using Mustafar.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Mustafar.Models.Generation;

/// <summary>
/// Picks a sequence's next token from its logits: transformers' RepetitionPenaltyLogitsProcessor, then greedy argmax
/// or Temperature -> TopK -> TopP warpers and an inverse-CDF draw from <see cref="SamplingRandom"/>. The candidates
/// are sorted on the device and only the kept ones are copied to the host for the draw, in double precision.
/// </summary>
public sealed class TokenSampler(SamplingParameters parameters)
{
    private readonly SamplingRandom _random = new(parameters.Seed);

    public SamplingParameters Parameters => parameters;

    /// <param name="logits">[vocab] float32 logits of one sequence.</param>
    /// <param name="seen">Token ids the repetition penalty applies to (prompt text and generated so far).</param>
    public int Next(Tensor logits, IReadOnlyCollection<int> seen)
    {
        using var scope = NewDisposeScope();
        var scores = logits.to(ScalarType.Float32);
        if (parameters.RepetitionPenalty != 1f && seen.Count > 0) scores = Penalize(scores, seen, parameters.RepetitionPenalty);
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
