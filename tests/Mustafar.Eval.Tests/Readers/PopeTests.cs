using Mustafar.Eval.Readers;
using Mustafar.Eval.Scoring;
using Mustafar.Eval.Tests.Fixtures;

namespace Mustafar.Eval.Tests.Readers;

public sealed class PopeTests : IDisposable
{
    private readonly FixtureFolder _folder = new();

    /// <summary>POPE's files: one JSON object per line, named coco_pope_{category}.json, images from COCO val2014.</summary>
    private string WriteFixture()
    {
        _folder.Image("val2014/COCO_val2014_000000310196.jpg", 1);
        _folder.Image("val2014/COCO_val2014_000000210789.jpg", 2);
        _folder.Write("pope/coco_pope_random.json", """
            {"question_id": 1, "image": "COCO_val2014_000000310196.jpg", "text": "Is there a snowboard in the image?", "label": "yes"}
            {"question_id": 2, "image": "COCO_val2014_000000310196.jpg", "text": "Is there a person in the image?", "label": "yes"}
            {"question_id": 3, "image": "COCO_val2014_000000210789.jpg", "text": "Is there a cat in the image?", "label": "no"}
            {"question_id": 4, "image": "COCO_val2014_000000210789.jpg", "text": "Is there a bus in the image?", "label": "no"}
            """);
        _folder.Write("pope/coco_pope_adversarial.json", """
            {"question_id": 1, "image": "COCO_val2014_000000310196.jpg", "text": "Is there a skis in the image?", "label": "yes"}
            {"question_id": 2, "image": "COCO_val2014_000000210789.jpg", "text": "Is there a dining table in the image?", "label": "no"}
            """);
        return Path.Combine(_folder.Root, "pope");
    }

    [Theory]
    [InlineData("Yes, there is a snowboard in the image.", true)]
    [InlineData("No.", false)]
    [InlineData("There is no cat.", false)]
    [InlineData("I do not see one", false)]
    [InlineData("Yes. No other objects.", true)]
    [InlineData("Nope", true)]
    public void Yes_no_parsing_follows_llava_eval_pope(string answer, bool yes) => Assert.Equal(yes, PopeScorer.SaysYes(answer));

    [Fact]
    public async Task Accuracy_precision_recall_f1_and_yes_ratio()
    {
        var benchmark = PopeReader.Read(new ReaderOptions(WriteFixture(), Images: Path.Combine(_folder.Root, "val2014")));

        Assert.Equal(["adversarial/1", "adversarial/2", "random/1", "random/2", "random/3", "random/4"], benchmark.Items.Select(i => i.Id));
        var outcome = await Runs.WithAnswersById(benchmark, new Dictionary<string, string>
        {
            ["random/1"] = "Yes, there is a snowboard in the image.", ["random/2"] = "No.",
            ["random/3"] = "There is no cat.", ["random/4"] = "Yes",
            ["adversarial/1"] = "yes", ["adversarial/2"] = "I do not see one",
        });

        // Said yes: random/1, random/4, adversarial/1; labelled yes: random/1, random/2, adversarial/1.
        Assert.Equal(4, outcome.Results.Count(r => r.Correct));
        var metrics = benchmark.Scorer.Metrics(outcome.Results).ToDictionary(m => m.Name, m => (Math.Round(m.Value, 4), m.Count));
        Assert.Equal((0.6667, 3), metrics["precision"]);
        Assert.Equal((0.6667, 3), metrics["recall"]);
        Assert.Equal((0.6667, 6), metrics["F1"]);
        Assert.Equal((0.5, 6), metrics["yes-ratio"]);
        Assert.Equal((1.0, 1), metrics["precision (adversarial)"]);
        Assert.Equal((0.5, 4), metrics["yes-ratio (random)"]);
    }

    public void Dispose() => _folder.Dispose();
}
