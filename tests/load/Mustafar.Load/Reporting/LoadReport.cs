using Mustafar.Load.Requests;
using Mustafar.Load.Scenario;

namespace Mustafar.Load.Reporting;

/// <summary>What a run did: the scenario, the measured wall time and every measured request's record (in order of
/// their numbers), plus the warm-up's records, which no figure includes.</summary>
public sealed record LoadReport(LoadScenario Scenario, TimeSpan Wall, IReadOnlyList<RequestRecord> Records, IReadOnlyList<RequestRecord> WarmupRecords)
{
    public KindSummary All => KindSummary.Of("all", [.. Records], Wall);

    /// <summary>One summary per kind in the mix, in the mix's order.</summary>
    public IReadOnlyList<KindSummary> ByKind =>
        Scenario.Mix.Kinds.Select(kind => KindSummary.Of(RequestMix.Name(kind), [.. Records.Where(r => r.Kind == kind)], Wall)).ToArray();

    /// <summary>Measured requests that did not succeed.</summary>
    public int Errors => Records.Count(r => !r.Succeeded);

    public int WarmupErrors => WarmupRecords.Count(r => !r.Succeeded);

    /// <summary>The longest a request was sent after its due time (open loop: whether the client kept the schedule).</summary>
    public TimeSpan MaxSendLag => Records.Count == 0 ? TimeSpan.Zero : Records.Max(r => r.Started - r.Scheduled);
}
