using Mustafar.Eval.Running;

namespace Mustafar.Eval.Scoring;

/// <summary>MMVP: each question is multiple choice, and the paper's number is the pair accuracy: questions 2k-1 and 2k
/// ask the same about two images that CLIP sees as alike, and a pair counts only when both answers are right. Pairs
/// with a question missing from the results (a --limit run) are left out of it.</summary>
public sealed class MmvpScorer : MultipleChoiceScorer
{
    public override string Rule => base.Rule + "; pair accuracy: a pair counts when both of its questions are right";

    public override IReadOnlyList<Metric> Metrics(IReadOnlyList<ItemResult> results)
    {
        var pairs = results.Where(r => r.Item.Group is not null).GroupBy(r => r.Item.Group).Where(g => g.Count() == 2).ToList();
        if (pairs.Count == 0) return [];
        return [new Metric("pair accuracy (the paper's MMVP number)", pairs.Count(p => p.All(r => r.Correct)) / (double)pairs.Count, pairs.Count)];
    }
}
