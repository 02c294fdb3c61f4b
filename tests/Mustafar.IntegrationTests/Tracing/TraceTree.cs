using System.Globalization;
using System.Text;

namespace Mustafar.IntegrationTests.Tracing;

/// <summary>The spans of one trace as a tree, for assertions about ancestry and for printing.</summary>
public sealed class TraceTree(IReadOnlyList<ReceivedSpan> spans)
{
    private readonly Dictionary<string, ReceivedSpan> _byId = spans.ToDictionary(s => s.SpanId);

    public IReadOnlyList<ReceivedSpan> Spans => spans;

    /// <summary>Spans whose parent is not in the trace (the entry span, whose parent is the client's).</summary>
    public IReadOnlyList<ReceivedSpan> Roots => spans.Where(s => !_byId.ContainsKey(s.ParentSpanId)).ToList();

    public ReceivedSpan? Parent(ReceivedSpan span) => _byId.GetValueOrDefault(span.ParentSpanId);

    /// <summary>The span's ancestors, nearest first.</summary>
    public IEnumerable<ReceivedSpan> Ancestors(ReceivedSpan span)
    {
        for (var parent = Parent(span); parent is not null; parent = Parent(parent)) yield return parent;
    }

    /// <summary>One line per span, children indented under their parent in start order: name, process, kind,
    /// duration, and the project's own attributes.</summary>
    public string Render()
    {
        var text = new StringBuilder();
        void Write(ReceivedSpan span, int depth)
        {
            var own = span.Attributes.Where(a => a.Key.StartsWith("mustafar.", StringComparison.Ordinal))
                .Select(a => $"{a.Key["mustafar.".Length..]}={Short(a.Value)}");
            text.Append(CultureInfo.InvariantCulture,
                $"{new string(' ', depth * 2)}{span.Name}  [{span.Service}, {span.Kind.ToString().ToLowerInvariant()}]  {span.DurationMs:F1} ms  span {span.SpanId[..8]} parent {(span.ParentSpanId.Length == 0 ? "-" : span.ParentSpanId[..8])}");
            var attributes = string.Join(" ", own);
            text.AppendLine(attributes.Length == 0 ? "" : "  " + attributes);
            foreach (var child in spans.Where(s => s.ParentSpanId == span.SpanId).OrderBy(s => s.StartNanos)) Write(child, depth + 1);
        }
        foreach (var root in Roots.OrderBy(s => s.StartNanos)) Write(root, 0);
        return text.ToString();
    }

    private static string Short(string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && value.Contains('.', StringComparison.Ordinal)
            ? number.ToString("F1", CultureInfo.InvariantCulture) : value;
}
