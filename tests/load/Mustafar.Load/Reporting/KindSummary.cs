using Mustafar.Load.Requests;

namespace Mustafar.Load.Reporting;

/// <summary>The figures of one kind of request (or of all): counts, throughput of successful requests over the
/// run's wall time, latency and time to first token of the successful ones (a fast error would flatter the
/// latency), errors by code with the first message of each, and the cache lookups.</summary>
public sealed record KindSummary(
    string Name,
    int Sent,
    int Succeeded,
    int Failed,
    double Throughput,
    Percentiles? Latency,
    Percentiles? TimeToFirstToken,
    IReadOnlyDictionary<string, int> Errors,
    IReadOnlyDictionary<string, string> ErrorExamples,
    CacheSummary Cache)
{
    public static KindSummary Of(string name, IReadOnlyCollection<RequestRecord> records, TimeSpan wall)
    {
        var succeeded = records.Where(r => r.Succeeded).ToList();
        var failed = records.Where(r => !r.Succeeded).ToList();
        return new KindSummary(
            name,
            records.Count,
            succeeded.Count,
            failed.Count,
            wall > TimeSpan.Zero ? succeeded.Count / wall.TotalSeconds : 0,
            Percentiles.Of(succeeded.Select(r => r.Latency)),
            Percentiles.Of(succeeded.Where(r => r.TimeToFirstToken is not null).Select(r => r.TimeToFirstToken!.Value)),
            failed.GroupBy(r => r.Outcome).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
            failed.GroupBy(r => r.Outcome).ToDictionary(g => g.Key, g => g.First().Message ?? ""),
            CacheSummary.Of(records));
    }
}
