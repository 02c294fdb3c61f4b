using System.Globalization;
using System.Text;
using Mustafar.Load.Scenario;

namespace Mustafar.Load.Reporting;

/// <summary>The report as a plain-text table for a terminal or a README.</summary>
public static class ReportTable
{
    public static string Format(LoadReport report)
    {
        var s = report.Scenario;
        var text = new StringBuilder();
        var load = s.Mode == LoadMode.Closed
            ? $"closed loop, concurrency {s.Concurrency}"
            : $"open loop, {Number(s.Rate, "0.##")} requests/s";
        var limits = string.Join(" or ", new[]
        {
            s.Duration > TimeSpan.Zero ? DurationConverter.Format(s.Duration) : null,
            s.Requests > 0 ? $"{s.Requests} requests" : null,
        }.OfType<string>());
        text.AppendLine(Invariant($"scenario: {load}, {limits}; mix {s.Mix}; repeated images {s.RepeatShare * 100:0.#}% (of {s.RepeatedImages}); max_tokens {s.MaxTokens}"));
        text.AppendLine(Invariant($"measured: {report.Wall.TotalSeconds:0.0} s; max send lag {report.MaxSendLag.TotalMilliseconds:0.0} ms; warm-up {report.WarmupRecords.Count} requests, {report.WarmupErrors} errors"));
        text.AppendLine();

        string[] header = ["kind", "sent", "ok", "errors", "ok/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "ttft p50", "ttft p90", "ttft p99"];
        var rows = report.ByKind.Append(report.All).Select(k => new[]
        {
            k.Name, Number(k.Sent, "0"), Number(k.Succeeded, "0"), Number(k.Failed, "0"), Number(k.Throughput, "0.00"),
            Ms(k.Latency?.P50), Ms(k.Latency?.P90), Ms(k.Latency?.P99), Ms(k.Latency?.Max),
            Ms(k.TimeToFirstToken?.P50), Ms(k.TimeToFirstToken?.P90), Ms(k.TimeToFirstToken?.P99),
        }).ToList();
        var widths = header.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        string Line(string[] cells) => string.Join("  ", cells.Select((c, i) => i == 0 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))).TrimEnd();
        text.AppendLine(Line(header));
        foreach (var row in rows) text.AppendLine(Line(row));
        text.AppendLine();

        var all = report.All;
        if (all.Errors.Count == 0) text.AppendLine("errors: none");
        else
        {
            text.AppendLine("errors:");
            foreach (var (code, count) in all.Errors) text.AppendLine(Invariant($"  {code} x{count}: {all.ErrorExamples[code]}"));
        }
        var cache = all.Cache;
        text.AppendLine(cache.HitRatio is { } ratio
            ? Invariant($"cache: {cache.Hits} hits, {cache.Misses} misses, {cache.Errors} errors, {cache.Bypassed} bypassed lookups; hit ratio {ratio * 100:0.0}%")
            : "cache: no lookups reported (no chat or ask answers)");
        return text.ToString();
    }

    private static string Ms(double? value) => value is { } v ? Number(v, "0.0") : "-";

    private static string Number(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
