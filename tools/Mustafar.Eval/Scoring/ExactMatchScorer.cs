using Mustafar.Eval.Items;
using Mustafar.Eval.Running;

namespace Mustafar.Eval.Scoring;

/// <summary>Open answers (GQA, the generic and LLaVA-JSON sets): right when the normalised answer equals the
/// normalised expected answer.</summary>
public sealed class ExactMatchScorer : IScorer
{
    public string Rule => "exact match after normalisation (lower-case, punctuation and articles removed)";

    public bool IsCorrect(EvalItem item, string answer) =>
        AnswerNormalizer.Normalize(answer) == AnswerNormalizer.Normalize(item.Expected);

    public IReadOnlyList<Metric> Metrics(IReadOnlyList<ItemResult> results) => [];
}
