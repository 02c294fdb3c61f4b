using Mustafar.Eval.Readers;
using Mustafar.Eval.Tests.Fixtures;

namespace Mustafar.Eval.Tests.Readers;

public sealed class GqaTests : IDisposable
{
    private readonly FixtureFolder _folder = new();

    [Fact]
    public async Task Exact_match_after_normalisation_per_structural_and_semantic_type()
    {
        _folder.Image("images/n161313.jpg", 5);
        _folder.Image("images/n235859.jpg", 90);
        var path = _folder.Write("testdev_balanced_questions.json", """
            {
              "20968503": {"semantic": [], "entailed": [], "equivalent": ["20968503"], "question": "Is the sky dark?",
                           "imageId": "n161313", "isBalanced": true, "groups": {"global": null, "local": "06-sky_dark"},
                           "answer": "yes", "semanticStr": "select: sky->verify color: dark", "annotations": {},
                           "types": {"detailed": "verifyAttr", "semantic": "attr", "structural": "verify"}},
              "20968504": {"question": "What is on the white wall?", "imageId": "n161313", "answer": "pipe",
                           "types": {"detailed": "relS", "semantic": "rel", "structural": "query"}},
              "201640614": {"question": "Who is wearing the dress?", "imageId": "n235859", "answer": "woman",
                            "types": {"detailed": "relS", "semantic": "rel", "structural": "query"}}
            }
            """);

        var benchmark = GqaReader.Read(new ReaderOptions(path));

        Assert.Equal(["structural/verify", "semantic/attr"], benchmark.Items[0].Categories);
        Assert.Equal("Is the sky dark?\nAnswer the question using a single word or phrase.", benchmark.Items[0].Question);
        var outcome = await Runs.WithAnswersById(benchmark, new Dictionary<string, string>
        {
            ["20968503"] = "Yes.", ["20968504"] = "A pipe", ["201640614"] = "man",
        });

        Assert.Equal([true, true, false], outcome.Results.Select(r => r.Correct));
    }

    public void Dispose() => _folder.Dispose();
}
