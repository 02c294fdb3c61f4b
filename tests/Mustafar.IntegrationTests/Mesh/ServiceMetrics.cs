using System.Globalization;
using System.Text.RegularExpressions;

namespace Mustafar.IntegrationTests.Mesh;

/// <summary>Reads counters from a process's Prometheus /metrics page.</summary>
public static partial class ServiceMetrics
{
    /// <summary>The sum of every sample of <paramref name="series"/> whose labels contain all of <paramref name="labels"/>
    /// (e.g. <c>method="Encode"</c>).</summary>
    public static async Task<double> SumAsync(Uri httpAddress, string series, params string[] labels)
    {
        var page = await PageAsync(httpAddress);
        var total = 0.0;
        foreach (Match sample in Sample().Matches(page))
        {
            if (sample.Groups["name"].Value != series) continue;
            var labelText = sample.Groups["labels"].Value;
            if (labels.All(l => labelText.Contains(l, StringComparison.Ordinal)))
                total += double.Parse(sample.Groups["value"].Value, CultureInfo.InvariantCulture);
        }
        return total;
    }

    /// <summary>The metric families a process exports (its /metrics page's <c># TYPE</c> lines), samples or not.</summary>
    public static async Task<IReadOnlySet<string>> FamiliesAsync(Uri httpAddress)
    {
        var page = await PageAsync(httpAddress);
        return Family().Matches(page).Select(m => m.Groups["name"].Value).ToHashSet(StringComparer.Ordinal);
    }

    private static async Task<string> PageAsync(Uri httpAddress)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        return await http.GetStringAsync(new Uri(httpAddress, "/metrics"));
    }

    [GeneratedRegex(@"^# TYPE (?<name>[a-zA-Z_:][a-zA-Z0-9_:]*) ", RegexOptions.Multiline)]
    private static partial Regex Family();

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})?\s+(?<value>[-+0-9.eE]+|NaN)\s*$", RegexOptions.Multiline)]
    private static partial Regex Sample();
}
