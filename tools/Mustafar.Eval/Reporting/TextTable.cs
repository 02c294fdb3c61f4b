using System.Text;

namespace Mustafar.Eval.Reporting;

/// <summary>Plain-text columns: the first left-aligned, the rest right-aligned (numbers), a rule under the header.</summary>
public sealed class TextTable(params string[] header)
{
    private readonly List<string[]> _rows = [];

    public void Add(params string[] cells) => _rows.Add(cells);

    /// <summary>A rule across the table before the next row.</summary>
    public void AddRule() => _rows.Add([]);

    public override string ToString()
    {
        var widths = header.Select((h, i) => _rows.Where(r => r.Length > i).Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        var text = new StringBuilder();
        void Line(string[] cells) => text.AppendLine(string.Join("  ", cells.Select((c, i) => i == 0 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))).TrimEnd());
        var rule = new string('-', widths.Sum() + 2 * (widths.Length - 1));
        Line(header);
        text.AppendLine(rule);
        foreach (var row in _rows)
            if (row.Length == 0) text.AppendLine(rule);
            else Line(row);
        return text.ToString();
    }
}
