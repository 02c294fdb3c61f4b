using System.Globalization;

namespace Mustafar.Testing;

/// <summary>Reads values out of the Prometheus text exposition format.</summary>
public static class PrometheusText
{
    /// <summary>The sum of every sample of <paramref name="series"/> whose labels contain
    /// <paramref name="labelFilter"/> (for example <c>queue="transform"</c>); 0 when there is none.</summary>
    public static double Value(string text, string series, string labelFilter = "") =>
        Samples(text, series).Where(s => s.Labels.Contains(labelFilter, StringComparison.Ordinal)).Sum(s => s.Value);

    /// <summary>Whether the exposition declares <paramref name="family"/> (a "# TYPE" line).</summary>
    public static bool Declares(string text, string family) =>
        text.Split('\n').Any(line => line.StartsWith($"# TYPE {family} ", StringComparison.Ordinal));

    private static IEnumerable<(string Labels, double Value)> Samples(string text, string series)
    {
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith('#') || !line.StartsWith(series, StringComparison.Ordinal)) continue;
            var rest = line[series.Length..];
            string labels;
            if (rest.StartsWith('{'))
            {
                var close = rest.IndexOf('}', StringComparison.Ordinal);
                labels = rest[..(close + 1)];
                rest = rest[(close + 1)..];
            }
            else if (rest.StartsWith(' '))
            {
                labels = "";
            }
            else
            {
                continue; // another series with this prefix (mustafar_batch_size_count for mustafar_batch_size)
            }
            yield return (labels, double.Parse(rest.Trim().Split(' ')[0], CultureInfo.InvariantCulture));
        }
    }
}
