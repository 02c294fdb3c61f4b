using System.Text.Json.Serialization;

namespace Mustafar.Load.Requests;

/// <summary>What the gateway's feature cache did for one answer, as its metadata says: "hit", "miss", "error",
/// "bypass" or "not_used" for the CLIP features and each diffusion half.</summary>
public sealed record CacheStatuses(string Clip, string DiffusionConditional, string DiffusionUnconditional)
{
    [JsonIgnore]
    public IEnumerable<string> All => [Clip, DiffusionConditional, DiffusionUnconditional];
}
