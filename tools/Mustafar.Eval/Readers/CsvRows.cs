using System.Text;

namespace Mustafar.Eval.Readers;

/// <summary>RFC 4180 CSV as spreadsheets and pandas write it: comma-separated, fields in double quotes may hold
/// commas, line breaks and doubled quotes. Rows come back as header name to value.</summary>
public static class CsvRows
{
    public static IReadOnlyList<Dictionary<string, string>> Read(string text)
    {
        var records = Records(text.TrimStart('\uFEFF')).Where(r => r.Count > 1 || r[0].Length > 0).ToList();
        if (records.Count == 0) return [];
        var header = records[0].Select(h => h.Trim()).ToList();
        return records.Skip(1).Select(r => header.Select((h, i) => (h, v: i < r.Count ? r[i] : "")).ToDictionary(p => p.h, p => p.v, StringComparer.Ordinal)).ToList();
    }

    private static IEnumerable<List<string>> Records(string text)
    {
        var record = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c != '"') field.Append(c);
                else if (i + 1 < text.Length && text[i + 1] == '"') field.Append(text[++i]);
                else quoted = false;
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { record.Add(field.ToString()); field.Clear(); }
            else if (c is '\n' or '\r')
            {
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
                record.Add(field.ToString()); field.Clear();
                yield return record;
                record = [];
            }
            else field.Append(c);
        }
        if (field.Length > 0 || record.Count > 0) { record.Add(field.ToString()); yield return record; }
    }
}
