using Mustafar.Data.Questions;
using Mustafar.Data.Synth;

namespace Mustafar.Data.Tests;

public sealed class SynthStatsTests
{
    [Fact]
    public void Chance_is_one_over_the_options_a_question_offers_and_the_majority_share()
    {
        var options = new SynthOptions(Seed: 2, Count: 200, Split: "test");
        var items = SynthGenerator.Generate(options).ToList();
        var stats = SynthStats.Of(options, items);
        Assert.Equal([1 / 6.0, 1 / 3.0, 1 / 5.0, 1 / 2.0, 1 / 2.0], stats.Categories.Select(c => c.UniformChance));
        Assert.All(stats.Categories, c => Assert.Equal(40, c.Items));
        var count = stats.Categories.Single(c => c.Category == QuestionCategories.Count);
        Assert.Equal(count.Answers.Max(a => a.Items) / 40.0, count.MajorityChance);
        // Position questions offer left/right or top/bottom: the best constant answer is one per pair.
        var position = stats.Categories.Single(c => c.Category == QuestionCategories.Position).Answers.ToDictionary(a => a.Answer, a => a.Items);
        Assert.Equal((Math.Max(position["left"], position["right"]) + Math.Max(position["top"], position["bottom"])) / 40.0,
            stats.Categories.Single(c => c.Category == QuestionCategories.Position).MajorityChance);
        Assert.Equal(stats.Categories.Average(c => c.UniformChance), stats.UniformChance, 12);
        Assert.Contains("overall", stats.ToText(), StringComparison.Ordinal);
    }
}
