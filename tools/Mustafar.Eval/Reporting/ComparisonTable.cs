using System.Globalization;
using Mustafar.Eval.Running;
using Mustafar.Eval.Scoring;

namespace Mustafar.Eval.Reporting;

/// <summary>Variants side by side, the form of the paper's Tables 1 and 2: per category and overall the accuracy of
/// each variant, and each later variant's difference from the first with its paired-bootstrap 95% interval. Only
/// items every variant answered are compared, so the pairing holds.</summary>
public static class ComparisonTable
{
    public static string Render(IReadOnlyList<RunOutcome> outcomes, IScorer scorer, int resamples, int seed)
    {
        if (outcomes.Count == 0) return "";
        var shared = outcomes.Select(o => o.Results.Select(r => r.Item.Id).ToHashSet(StringComparer.Ordinal))
            .Aggregate((a, b) => { a.IntersectWith(b); return a; });
        var runs = outcomes.Select(o => o.Results.Where(r => shared.Contains(r.Item.Id)).ToList()).ToList();
        var baseline = outcomes[0].Variant;
        var header = new List<string> { "category", "n" };
        header.AddRange(outcomes.Select(o => o.Variant + " %"));
        header.AddRange(outcomes.Skip(1).Select(o => $"{o.Variant}-{baseline} [95% CI]"));
        var table = new TextTable([.. header]);

        foreach (var row in CategoryRows.Of(runs[0]))
        {
            if (row == CategoryRows.Overall) table.AddRule();
            var verdicts = runs.Select(run => run.Where(r => CategoryRows.Contains(r, row)).Select(r => r.Correct).ToList()).ToList();
            var cells = new List<string> { row, verdicts[0].Count.ToString(CultureInfo.InvariantCulture) };
            cells.AddRange(verdicts.Select(v => v.Count == 0 ? "-" : Percent.Of(v.Count(c => c) / (double)v.Count)));
            cells.AddRange(verdicts.Skip(1).Select(v => Describe(PairedBootstrap.Difference(verdicts[0], v, resamples, seed))));
            table.Add([.. cells]);
        }
        AddMetrics(table, runs, scorer);
        return table.ToString();
    }

    /// <summary>The scorer's own numbers per variant with the plain difference (no interval: they are not item means).</summary>
    private static void AddMetrics(TextTable table, List<List<ItemResult>> runs, IScorer scorer)
    {
        var perRun = runs.Select(run => scorer.Metrics(run)).ToList();
        for (var m = 0; m < perRun[0].Count; m++)
        {
            var metric = perRun[0][m];
            var cells = new List<string> { metric.Name, metric.Count.ToString(CultureInfo.InvariantCulture) };
            cells.AddRange(perRun.Select(r => Percent.Of(r[m].Value)));
            cells.AddRange(perRun.Skip(1).Select(r => Percent.Signed(r[m].Value - metric.Value)));
            table.Add([.. cells]);
        }
    }

    private static string Describe(PairedBootstrap.Interval interval) =>
        $"{Percent.Signed(interval.Difference)} [{Percent.Signed(interval.Low)}, {Percent.Signed(interval.High)}]";
}
