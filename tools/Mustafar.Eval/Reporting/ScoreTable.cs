using System.Globalization;
using Mustafar.Eval.Running;
using Mustafar.Eval.Scoring;

namespace Mustafar.Eval.Reporting;

/// <summary>One run's table: accuracy (%) and item count per category and overall, then the scorer's own metrics.</summary>
public static class ScoreTable
{
    public static string Render(RunOutcome outcome, IScorer scorer)
    {
        var table = new TextTable("category", "n", "accuracy %");
        var rows = CategoryRows.Of(outcome.Results);
        foreach (var row in rows)
        {
            if (row == CategoryRows.Overall) table.AddRule();
            var inRow = outcome.Results.Where(r => CategoryRows.Contains(r, row)).ToList();
            table.Add(row, Count(inRow.Count), inRow.Count == 0 ? "-" : Percent.Of(inRow.Count(r => r.Correct) / (double)inRow.Count));
        }
        foreach (var metric in scorer.Metrics(outcome.Results)) table.Add(metric.Name, Count(metric.Count), Percent.Of(metric.Value));
        return table.ToString();
    }

    private static string Count(int n) => n.ToString(CultureInfo.InvariantCulture);
}
