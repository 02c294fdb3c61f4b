using Mustafar.Eval.Running;

namespace Mustafar.Eval.Reporting;

/// <summary>The rows of a table: each category in the order the benchmark first names it, then "overall". An item
/// with several categories (GQA's structural and semantic type) is counted in each.</summary>
public static class CategoryRows
{
    public const string Overall = "overall";

    public static IReadOnlyList<string> Of(IEnumerable<ItemResult> results) =>
        results.SelectMany(r => r.Item.Categories).Distinct(StringComparer.Ordinal).Append(Overall).ToList();

    public static bool Contains(ItemResult result, string row) => row == Overall || result.Item.Categories.Contains(row);
}
