using Mustafar.Eval.Items;

namespace Mustafar.Eval.Readers;

/// <summary>Item ids key the resume log: a benchmark with a repeated id would silently skip an item.</summary>
public static class ItemIds
{
    public static IReadOnlyList<EvalItem> Unique(IReadOnlyList<EvalItem> items, string source)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in items)
            if (!seen.Add(item.Id)) throw new InvalidDataException($"{source}: item id '{item.Id}' occurs twice");
        return items;
    }
}
