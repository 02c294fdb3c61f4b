using Mustafar.Load.Requests;

namespace Mustafar.Load.Reporting;

/// <summary>The feature-cache lookups the gateway reported in its answers (CLIP and each diffusion half count one
/// lookup each; "not_used" ones are left out). The hit ratio is hits over hits, misses and errors (a bypassed
/// lookup was never tried).</summary>
public sealed record CacheSummary(int Hits, int Misses, int Errors, int Bypassed)
{
    public double? HitRatio => Hits + Misses + Errors is var tried and > 0 ? (double)Hits / tried : null;

    public static CacheSummary Of(IEnumerable<RequestRecord> records)
    {
        var statuses = records.Where(r => r.Cache is not null).SelectMany(r => r.Cache!.All).ToList();
        return new CacheSummary(statuses.Count(s => s == "hit"), statuses.Count(s => s == "miss"),
            statuses.Count(s => s == "error"), statuses.Count(s => s == "bypass"));
    }
}
