using Mustafar.Data.Scenes;

namespace Mustafar.Data.Tests;

public sealed class SplitMix64Tests
{
    /// <summary>The reference implementation's first outputs for seed 0 (Vigna's splitmix64.c): the sequence, and with
    /// it every set, is the same everywhere.</summary>
    [Fact]
    public void Matches_the_reference_sequence()
    {
        var random = new SplitMix64(0);
        Assert.Equal(0xE220A8397B1DCDAFUL, random.NextUInt64());
        Assert.Equal(0x6E789E6AA1B965F4UL, random.NextUInt64());
        Assert.Equal(0x06C45D188009454FUL, random.NextUInt64());
    }

    [Fact]
    public void Next_stays_in_its_range_and_reaches_both_ends()
    {
        var random = new SplitMix64(7);
        var seen = Enumerable.Range(0, 2000).Select(_ => random.Next(3, 8)).ToHashSet();
        Assert.Equal([3, 4, 5, 6, 7], seen.Order());
    }
}
