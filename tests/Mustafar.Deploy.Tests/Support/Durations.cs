using System.Globalization;
using System.Text.RegularExpressions;

namespace Mustafar.Deploy.Tests.Support;

/// <summary>Durations as compose and Dockerfiles write them (Go syntax: <c>90s</c>, <c>2m</c>, <c>1m30s</c>, <c>1h</c>).</summary>
internal static partial class Durations
{
    public static TimeSpan Parse(string text)
    {
        var parts = Part().Matches(text);
        if (parts.Count == 0 || string.Concat(parts.Select(p => p.Value)) != text)
            throw new FormatException($"'{text}' is not a duration such as 90s, 2m or 1m30s");
        return parts.Aggregate(TimeSpan.Zero, (sum, part) =>
        {
            var value = double.Parse(part.Groups["value"].Value, CultureInfo.InvariantCulture);
            return sum + part.Groups["unit"].Value switch
            {
                "h" => TimeSpan.FromHours(value),
                "m" => TimeSpan.FromMinutes(value),
                "s" => TimeSpan.FromSeconds(value),
                "ms" => TimeSpan.FromMilliseconds(value),
                _ => TimeSpan.FromMicroseconds(value),
            };
        });
    }

    [GeneratedRegex(@"(?<value>\d+(?:\.\d+)?)(?<unit>ms|us|h|m|s)")]
    private static partial Regex Part();
}
