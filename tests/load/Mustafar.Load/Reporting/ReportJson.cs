using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Mustafar.Load.Requests;
using Mustafar.Load.Scenario;

namespace Mustafar.Load.Reporting;

/// <summary>The report as JSON (snake_case): the scenario, the measured wall time, totals and one summary per kind
/// with latency and time-to-first-token percentiles in milliseconds, errors by code, cache lookups; with
/// <c>records</c>, every request's record too.</summary>
public static class ReportJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        WriteIndented = true,
    };

    public static JsonObject ToJson(LoadReport report, bool records)
    {
        var json = new JsonObject
        {
            ["scenario"] = ScenarioReader.ToJson(report.Scenario),
            ["wall_seconds"] = report.Wall.TotalSeconds,
            ["max_send_lag_ms"] = report.MaxSendLag.TotalMilliseconds,
            ["sent"] = report.Records.Count,
            ["succeeded"] = report.Records.Count - report.Errors,
            ["errors"] = report.Errors,
            ["warmup"] = new JsonObject { ["sent"] = report.WarmupRecords.Count, ["errors"] = report.WarmupErrors },
            ["all"] = Summary(report.All),
            ["kinds"] = new JsonArray([.. report.ByKind.Select(Summary)]),
        };
        if (records) json["records"] = new JsonArray([.. report.Records.Select(Record)]);
        return json;
    }

    public static string Serialize(LoadReport report, bool records) => ToJson(report, records).ToJsonString(Options);

    private static JsonNode Summary(KindSummary summary) => JsonSerializer.SerializeToNode(summary, Options)!;

    private static JsonNode Record(RequestRecord r) => new JsonObject
    {
        ["index"] = r.Index,
        ["kind"] = RequestMix.Name(r.Kind),
        ["repeated_image"] = r.RepeatedImage,
        ["scheduled_ms"] = r.Scheduled.TotalMilliseconds,
        ["started_ms"] = r.Started.TotalMilliseconds,
        ["ended_ms"] = r.Ended.TotalMilliseconds,
        ["latency_ms"] = r.Latency.TotalMilliseconds,
        ["ttft_ms"] = r.TimeToFirstToken?.TotalMilliseconds,
        ["outcome"] = r.Outcome,
        ["message"] = r.Message,
        ["retryable"] = r.Retryable,
        ["cache"] = r.Cache is { } c ? JsonSerializer.SerializeToNode(c, Options) : null,
        ["completion_tokens"] = r.CompletionTokens,
    };
}
