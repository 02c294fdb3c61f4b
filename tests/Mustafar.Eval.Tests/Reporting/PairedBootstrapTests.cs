using Mustafar.Eval.Reporting;

namespace Mustafar.Eval.Tests.Reporting;

public sealed class PairedBootstrapTests
{
    [Fact]
    public void Identical_verdicts_differ_by_exactly_zero()
    {
        bool[] verdicts = [true, false, true, true, false];
        Assert.Equal(new PairedBootstrap.Interval(0, 0, 0), PairedBootstrap.Difference(verdicts, verdicts, 2000, 0));
    }

    [Fact]
    public void A_variant_right_wherever_the_baseline_is_wrong_gains_everything_with_no_doubt()
    {
        bool[] baseline = [false, false, false, false];
        bool[] other = [true, true, true, true];
        Assert.Equal(new PairedBootstrap.Interval(1, 1, 1), PairedBootstrap.Difference(baseline, other, 500, 3));
    }

    [Fact]
    public void The_interval_holds_the_difference_is_seeded_and_narrows_with_more_items()
    {
        // 40 items: the second variant wins 12, loses 4, ties 24: a difference of +0.2.
        var baseline = Enumerable.Range(0, 40).Select(i => i is >= 12 and < 16 || i >= 28).ToArray();
        var other = Enumerable.Range(0, 40).Select(i => i < 12 || i >= 28).ToArray();

        var interval = PairedBootstrap.Difference(baseline, other, 2000, 7);

        Assert.Equal(0.2, interval.Difference, 12);
        Assert.InRange(interval.Low, 0.0, 0.2);
        Assert.InRange(interval.High, 0.2, 0.4);
        Assert.Equal(interval, PairedBootstrap.Difference(baseline, other, 2000, 7));
        var quadrupled = PairedBootstrap.Difference([.. baseline, .. baseline, .. baseline, .. baseline], [.. other, .. other, .. other, .. other], 2000, 7);
        Assert.True(quadrupled.High - quadrupled.Low < interval.High - interval.Low);
    }
}
