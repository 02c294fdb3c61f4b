namespace Mustafar.Testing;

/// <summary>Memory before and after a workload, and what the workload left behind.</summary>
public sealed record MemoryGrowth(MemorySnapshot Baseline, MemorySnapshot After)
{
    /// <summary>After minus baseline (negative: shrank).</summary>
    public MemorySnapshot Growth => After.Since(Baseline);

    public override string ToString() => $"baseline: {Baseline}{Environment.NewLine}after:    {After}{Environment.NewLine}growth:   {Growth}";
}
