using Mustafar.Eval.Items;
using Mustafar.Eval.Running;

namespace Mustafar.Eval.Scoring;

/// <summary>POPE, with LLaVA's eval_pope.py parsing: keep the answer up to its first '.', drop commas, split on
/// spaces; the answer is "no" when a word is "No", "no" or "not", else "yes". "yes" is the positive class.</summary>
public sealed class PopeScorer : IScorer
{
    public string Rule => "yes/no as LLaVA's eval_pope.py: 'no' when the first sentence has the word No, no or not, else 'yes'";

    public static bool SaysYes(string answer)
    {
        var firstSentence = answer.Split('.')[0].Replace(",", "", StringComparison.Ordinal);
        return !firstSentence.Split(' ').Any(w => w is "No" or "no" or "not");
    }

    public bool IsCorrect(EvalItem item, string answer) => SaysYes(answer) == IsYes(item.Expected);

    public IReadOnlyList<Metric> Metrics(IReadOnlyList<ItemResult> results)
    {
        var categories = results.SelectMany(r => r.Item.Categories).Distinct().Order(StringComparer.Ordinal).ToList();
        var metrics = new List<Metric>(Of(results, ""));
        if (categories.Count > 1)
            foreach (var category in categories) metrics.AddRange(Of(results.Where(r => r.Item.Categories.Contains(category)).ToList(), $" ({category})"));
        return metrics;
    }

    private static IEnumerable<Metric> Of(IReadOnlyList<ItemResult> results, string suffix)
    {
        if (results.Count == 0) yield break;
        int truePositives = 0, falsePositives = 0, positives = 0, saidYes = 0;
        foreach (var result in results)
        {
            var yes = SaysYes(result.Answer);
            var actual = IsYes(result.Item.Expected);
            if (yes) saidYes++;
            if (actual) positives++;
            if (yes && actual) truePositives++;
            if (yes && !actual) falsePositives++;
        }
        var precision = Ratio(truePositives, truePositives + falsePositives);
        var recall = Ratio(truePositives, positives);
        yield return new Metric("precision" + suffix, precision, truePositives + falsePositives);
        yield return new Metric("recall" + suffix, recall, positives);
        yield return new Metric("F1" + suffix, precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall), results.Count);
        yield return new Metric("yes-ratio" + suffix, Ratio(saidYes, results.Count), results.Count);
    }

    private static bool IsYes(string label) => label.Trim().Equals("yes", StringComparison.OrdinalIgnoreCase);

    private static double Ratio(int part, int whole) => whole == 0 ? 0 : part / (double)whole;
}
