using Mustafar.Eval.Readers;
using Mustafar.Eval.Reporting;
using Mustafar.Eval.Tests.Fixtures;

namespace Mustafar.Eval.Tests.Readers;

public sealed class GenericJsonlTests : IDisposable
{
    private readonly FixtureFolder _folder = new();

    /// <summary>Four items of the synthetic-scene kind, one per category.</summary>
    public string WriteFixture()
    {
        _folder.Image("img/a.png", 10);
        _folder.Image("img/b.png", 200);
        return _folder.Write("set.jsonl", """
            {"id": "g1", "image": "img/a.png", "question": "What colour is the circle?", "answer": "red", "category": "colour"}
            {"id": "g2", "image": "img/b.png", "question": "How many squares are there?", "answer": "two", "category": "count"}

            {"id": "g3", "image": "img/a.png", "question": "What shape is the blue object?", "answer": "triangle", "category": "shape"}
            {"id": "g4", "image": "img/b.png", "question": "Is the red square on the left or the right?", "answer": "left", "category": "position"}
            """);
    }

    public static readonly Dictionary<string, string> Answers = new()
    {
        ["g1"] = "Red.", ["g2"] = "three", ["g3"] = "A triangle", ["g4"] = "right",
    };

    [Fact]
    public async Task Reads_every_line_and_scores_normalised_exact_match_per_category()
    {
        var benchmark = GenericJsonlReader.Read(new ReaderOptions(WriteFixture()));

        Assert.Equal(["g1", "g2", "g3", "g4"], benchmark.Items.Select(i => i.Id));
        Assert.Equal("What colour is the circle?", benchmark.Items[0].Question);
        var outcome = await Runs.WithAnswersById(benchmark, Answers);

        Assert.Equal([true, false, true, false], outcome.Results.Select(r => r.Correct));
        Assert.Equal("""
            category  n  accuracy %
            -----------------------
            colour    1       100.0
            count     1         0.0
            shape     1       100.0
            position  1         0.0
            -----------------------
            overall   4        50.0

            """.ReplaceLineEndings("\n"), ScoreTable.Render(outcome, benchmark.Scorer).ReplaceLineEndings("\n"));
    }

    [Fact]
    public void A_missing_image_is_named_before_anything_is_asked()
    {
        var path = _folder.Write("set.jsonl", """{"image": "nowhere.png", "question": "q", "answer": "a"}""");

        var error = Assert.Throws<FileNotFoundException>(() => GenericJsonlReader.Read(new ReaderOptions(path)));
        Assert.Contains("nowhere.png", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _folder.Dispose();
}
