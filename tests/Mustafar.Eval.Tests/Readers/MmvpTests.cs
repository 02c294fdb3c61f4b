using Mustafar.Eval.Readers;
using Mustafar.Eval.Reporting;
using Mustafar.Eval.Tests.Fixtures;

namespace Mustafar.Eval.Tests.Readers;

public sealed class MmvpTests : IDisposable
{
    private readonly FixtureFolder _folder = new();

    /// <summary>Two pairs as MMVP publishes them: the pair's questions are the same, the images and answers differ.</summary>
    private string WriteFixture()
    {
        for (var i = 1; i <= 4; i++) _folder.Image($"MMVP/MMVP Images/{i}.jpg", (byte)(i * 40));
        _folder.Write("MMVP/Questions.csv", """
            Index,Question,Options,Correct Answer
            1,Are the butterfly's wings closer to being open or closed?,(a) Open (b) Closed,(a)
            2,Are the butterfly's wings closer to being open or closed?,(a) Open (b) Closed,(b)
            3,"Is the dog facing left, or right?",(a) Left (b) Right,(a)
            4,"Is the dog facing left, or right?",(a) Left (b) Right,(b)
            """);
        return Path.Combine(_folder.Root, "MMVP");
    }

    [Fact]
    public async Task Per_question_accuracy_and_the_papers_pair_accuracy()
    {
        var benchmark = MmvpReader.Read(new ReaderOptions(WriteFixture()));

        Assert.Equal(4, benchmark.Items.Count);
        Assert.Equal(["Left", "Right"], benchmark.Items[2].Choices.Select(c => c.Text));
        Assert.StartsWith("Is the dog facing left, or right?\n(a) Left (b) Right\nAnswer with the option's letter", benchmark.Items[2].Question, StringComparison.Ordinal);
        Assert.Equal(["1", "1", "2", "2"], benchmark.Items.Select(i => i.Group));

        // Pair 1: the second answer picks (a), wrong. Pair 2: both right, one by letter, one by "b) text".
        var outcome = await Runs.WithAnswersById(benchmark, new Dictionary<string, string> { ["1"] = "(a)", ["2"] = "Open", ["3"] = "A", ["4"] = "b) Right" });

        Assert.Equal([true, false, true, true], outcome.Results.Select(r => r.Correct));
        var pair = Assert.Single(benchmark.Scorer.Metrics(outcome.Results));
        Assert.Equal((0.5, 2), (pair.Value, pair.Count));
        var rows = ScoreTable.Render(outcome, benchmark.Scorer).Split('\n').Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries))).ToList();
        Assert.Contains("overall 4 75.0", rows);
        Assert.Contains("pair accuracy (the paper's MMVP number) 2 50.0", rows);
    }

    public void Dispose() => _folder.Dispose();
}
