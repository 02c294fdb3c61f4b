using Mustafar.Eval.Readers;
using Mustafar.Eval.Tests.Fixtures;

namespace Mustafar.Eval.Tests.Readers;

public sealed class LlavaConversationTests : IDisposable
{
    private readonly FixtureFolder _folder = new();

    [Fact]
    public async Task First_human_turn_is_the_question_and_first_gpt_turn_the_answer()
    {
        _folder.Image("images/scene_0.png", 30);
        _folder.Image("images/scene_1.png", 60);
        var path = _folder.Write("test.json", """
            [
              {"id": "s0-colour", "image": "scene_0.png", "category": "colour",
               "conversations": [{"from": "human", "value": "<image>\nWhat colour is the triangle?"}, {"from": "gpt", "value": "green"},
                                 {"from": "human", "value": "And the circle?"}, {"from": "gpt", "value": "red"}]},
              {"id": "s1-count", "image": "scene_1.png", "category": "count",
               "conversations": [{"from": "human", "value": "How many circles are there?\n<image>"}, {"from": "gpt", "value": "two"}]},
              {"id": "s1-plain", "image": "scene_1.png",
               "conversations": [{"from": "human", "value": "<image>\nIs the red square on the left or the right?"}, {"from": "gpt", "value": "right"}]}
            ]
            """);

        var benchmark = LlavaConversationReader.Read(new ReaderOptions(path, Images: Path.Combine(_folder.Root, "images")));

        Assert.Equal(["What colour is the triangle?", "How many circles are there?", "Is the red square on the left or the right?"], benchmark.Items.Select(i => i.Question));
        Assert.Equal(["green", "two", "right"], benchmark.Items.Select(i => i.Expected));
        Assert.Equal(["colour", "count", "uncategorised"], benchmark.Items.Select(i => i.Categories[0]));
        var outcome = await Runs.WithAnswersById(benchmark, new Dictionary<string, string> { ["s0-colour"] = "Green", ["s1-count"] = "2", ["s1-plain"] = "Right." });
        Assert.Equal([true, false, true], outcome.Results.Select(r => r.Correct));
    }

    public void Dispose() => _folder.Dispose();
}
