using Mustafar.Data.Questions;
using Mustafar.Data.Synth;
using Mustafar.Eval.Readers;

namespace Mustafar.Data.Tests;

/// <summary>`mustafar eval --format llava` reads a generated split as it is written: questions without the image
/// placeholder, answers, categories and images.</summary>
public sealed class EvalReaderTests : IDisposable
{
    private readonly TempFolder _folder = new();

    [Fact]
    public async Task The_eval_tools_llava_reader_reads_a_generated_split()
    {
        SynthSetWriter.Write(new SynthOptions(Seed: 2, Count: 20, Split: "test"), _folder.Root);
        var expected = SynthGenerator.Generate(new SynthOptions(Seed: 2, Count: 20, Split: "test")).ToList();

        var benchmark = await BenchmarkFormats.ReadAsync("llava", new ReaderOptions(_folder.Sub("test.json")), CancellationToken.None);

        Assert.Equal(expected.Select(i => i.Id), benchmark.Items.Select(i => i.Id));
        Assert.Equal(expected.Select(i => i.Question.Text), benchmark.Items.Select(i => i.Question));
        Assert.Equal(expected.Select(i => i.Question.Answer), benchmark.Items.Select(i => i.Expected));
        Assert.Equal(expected.Select(i => i.Question.Category), benchmark.Items.Select(i => Assert.Single(i.Categories)));
        Assert.Equal(QuestionCategories.All, benchmark.Items.Select(i => i.Categories[0]).Distinct());
        var image = await benchmark.Items[0].Image.ReadAsync(CancellationToken.None);
        Assert.Equal(File.ReadAllBytes(_folder.Sub("images/test-000000.png")), image);
    }

    public void Dispose() => _folder.Dispose();
}
