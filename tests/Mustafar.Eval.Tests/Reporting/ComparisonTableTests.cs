using Mustafar.Eval.Readers;
using Mustafar.Eval.Reporting;
using Mustafar.Eval.Tests.Fixtures;
using Mustafar.Eval.Tests.Readers;

namespace Mustafar.Eval.Tests.Reporting;

public sealed class ComparisonTableTests : IDisposable
{
    private readonly GenericJsonlTests _set = new();

    [Fact]
    public async Task One_column_per_variant_and_the_difference_from_the_first_with_its_interval()
    {
        var benchmark = GenericJsonlReader.Read(new ReaderOptions(_set.WriteFixture()));
        var baseline = await Runs.WithAnswersById(benchmark, GenericJsonlTests.Answers, "s0");
        var better = await Runs.WithAnswersById(benchmark, new Dictionary<string, string> { ["g1"] = "red", ["g2"] = "two", ["g3"] = "triangle", ["g4"] = "right" }, "s4");

        var table = ComparisonTable.Render([baseline, better], benchmark.Scorer, 2000, 0).ReplaceLineEndings("\n");

        var lines = table.Split('\n');
        Assert.Equal(["category", "n", "s0", "%", "s4", "%", "s4-s0", "[95%", "CI]"], lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(["count", "1", "0.0", "100.0", "+100.0", "[+100.0,", "+100.0]"], lines[3].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(["position", "1", "0.0", "0.0", "+0.0", "[+0.0,", "+0.0]"], lines[5].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var overall = lines.Single(l => l.StartsWith("overall", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["overall", "4", "50.0", "75.0", "+25.0"], overall[..5]);
        Assert.Equal(table, ComparisonTable.Render([baseline, better], benchmark.Scorer, 2000, 0).ReplaceLineEndings("\n"));
    }

    public void Dispose() => _set.Dispose();
}
