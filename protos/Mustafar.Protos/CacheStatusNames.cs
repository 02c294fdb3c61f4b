namespace Mustafar.Contracts.Vqa.V1;

/// <summary>The names a cache status goes by outside the protobuf wire format: in the gateway's HTTP answers
/// (<c>x-mustafar-cache</c>, the <c>mustafar.cache</c> JSON object), its metrics labels and the load tool's
/// reports. One mapping, next to the enum, so that these never drift apart.</summary>
public static class CacheStatusNames
{
    /// <summary>"hit", "miss", "bypass", "error", or "not_used" (also for an unset status).</summary>
    public static string Name(this CacheStatus status) => status switch
    {
        CacheStatus.Hit => "hit",
        CacheStatus.Miss => "miss",
        CacheStatus.Bypass => "bypass",
        CacheStatus.Error => "error",
        _ => "not_used",
    };
}
