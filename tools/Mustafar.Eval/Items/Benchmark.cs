using Mustafar.Eval.Scoring;

namespace Mustafar.Eval.Items;

/// <summary>A loaded benchmark: its items in the published order and the scorer its authors' rule calls for.</summary>
public sealed record Benchmark(string Name, IReadOnlyList<EvalItem> Items, IScorer Scorer)
{
    /// <summary>What the reader left out and why (BLINK items with several images), printed before the run.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
}
