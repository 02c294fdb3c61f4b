using Mustafar.Eval.Items;
using Mustafar.Eval.Running;

namespace Mustafar.Eval.Scoring;

/// <summary>A benchmark's rule for one answer, and the numbers its authors report beyond per-item accuracy.</summary>
public interface IScorer
{
    /// <summary>Short statement of the rule, printed under the table.</summary>
    string Rule { get; }

    bool IsCorrect(EvalItem item, string answer);

    /// <summary>Extra lines of the table (MMVP's pair accuracy, POPE's precision, recall, F1 and yes-ratio).</summary>
    IReadOnlyList<Metric> Metrics(IReadOnlyList<ItemResult> results);
}

/// <summary>A named fraction over <see cref="Count"/> units (items, pairs, positives).</summary>
public sealed record Metric(string Name, double Value, int Count);
