namespace Mustafar.Serving.Tests;

/// <summary>The rule that caps batches where per-item time stops improving, over given per-item times (the
/// measurement itself is wall-clock and belongs to the benchmarks).</summary>
public sealed class BatchSizeCalibrationTests
{
    private static BatchCalibration Choose(Dictionary<int, double> perItemMs, int configured, int minimum = 1, Func<bool>? budgetSpent = null) =>
        BatchSizeCalibration.Choose(size => perItemMs[size], configured, minimum, tolerance: 0.05, budgetSpent ?? (() => false), TimeSpan.FromSeconds(30));

    [Fact]
    public void Sizes_are_the_minimum_the_powers_of_two_above_it_and_the_configured_maximum()
    {
        Assert.Equal([1, 2, 4, 8], BatchSizeCalibration.Sizes(8, 1));
        Assert.Equal([1, 2, 4, 6], BatchSizeCalibration.Sizes(6, 1));
        Assert.Equal([2, 4, 8, 12], BatchSizeCalibration.Sizes(12, 2));
        Assert.Equal([1], BatchSizeCalibration.Sizes(1, 1));
    }

    [Fact]
    public void A_batch_that_is_slower_per_item_than_one_at_a_time_is_never_formed()
    {
        // CLIP ViT-B/16 on the 2-core EPYC: batch 8 took 1.64x per image.
        var result = Choose(new() { [1] = 308, [2] = 330, [4] = 400, [8] = 506 }, configured: 8);
        Assert.Equal(1, result.Cap);
        Assert.Equal([1, 2], result.Measured.Select(m => m.Size)); // the search stops at the first size that does not improve
        Assert.Contains("batch 2 is not 5% faster per item than batch 1", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void The_cap_grows_while_per_item_time_improves_by_more_than_the_tolerance()
    {
        var improving = Choose(new() { [1] = 100, [2] = 60, [4] = 40, [8] = 30 }, configured: 8);
        Assert.Equal(8, improving.Cap);
        var flattening = Choose(new() { [1] = 100, [2] = 60, [4] = 58, [8] = 20 }, configured: 8);
        Assert.Equal(2, flattening.Cap); // 4 is within the 5% noise allowance of 2: not taken, and the search ends
    }

    [Fact]
    public void The_cap_respects_the_minimum_and_the_budget()
    {
        Assert.Equal(2, Choose(new() { [2] = 100, [4] = 120 }, configured: 4, minimum: 2).Cap);
        var calls = 0;
        var budget = Choose(new() { [1] = 100, [2] = 50, [4] = 20 }, configured: 4, budgetSpent: () => ++calls > 1);
        Assert.Equal(2, budget.Cap);
        Assert.Contains("budget", budget.Reason, StringComparison.Ordinal);
    }
}
