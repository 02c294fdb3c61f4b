using Mustafar.Models.Generation;

namespace Mustafar.Models.Tests.Generation;

/// <summary>Stop strings are never emitted, however the text is split into deltas.</summary>
public sealed class StopStringMatcherTests
{
    private static (string Emitted, string? Matched) Feed(IReadOnlyList<string> stops, params string[] deltas)
    {
        var matcher = new StopStringMatcher(stops);
        var emitted = string.Concat(deltas.Select(matcher.Push));
        return (emitted + matcher.Flush(), matcher.Matched);
    }

    [Fact]
    public void A_stop_string_split_across_deltas_is_held_back_and_cut()
    {
        Assert.Equal(("Hello ", "USER:"), Feed(["USER:"], "Hello U", "SE", "R: more"));
    }

    [Fact]
    public void Held_text_is_released_when_it_stops_matching_or_at_the_end()
    {
        var matcher = new StopStringMatcher(["###"]);
        Assert.Equal("a", matcher.Push("a#"));
        Assert.Equal("", matcher.Push("#"));
        Assert.Equal("##b", matcher.Push("b"));
        Assert.Equal("", matcher.Push("##"));
        Assert.Equal("##", matcher.Flush());
        Assert.Null(matcher.Matched);
    }

    [Fact]
    public void The_earliest_stop_wins_and_nothing_follows_a_match()
    {
        var matcher = new StopStringMatcher(["world", "lo w"]);
        Assert.Equal("Hel", matcher.Push("Hello world"));
        Assert.Equal("lo w", matcher.Matched);
        Assert.Equal("", matcher.Push("more"));
        Assert.Equal("", matcher.Flush());
    }

    [Fact]
    public void Without_stop_strings_text_passes_straight_through()
    {
        Assert.Equal(("abc", null), Feed([], "a", "b", "c"));
    }

    [Fact]
    public void Every_split_of_a_text_gives_the_same_output()
    {
        const string text = "The answer is 42.\nUSER: next";
        string[] stops = ["\nUSER:", "</s>"];
        for (var cut1 = 0; cut1 <= text.Length; cut1++)
            for (var cut2 = cut1; cut2 <= text.Length; cut2 += 3)
                Assert.Equal(("The answer is 42.", "\nUSER:"), Feed(stops, text[..cut1], text[cut1..cut2], text[cut2..]));
    }
}
