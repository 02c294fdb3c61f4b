namespace Mustafar.Gateway.Pipeline;

/// <summary>What the feature cache did for one feature of one answer. The gRPC API sends it as <c>vqa.v1</c>'s
/// <c>CacheStatus</c> (<see cref="GatewayProtoMapping"/>); everything else (the HTTP answers' <c>x-mustafar-cache</c>
/// and <c>mustafar.cache</c>, the lookup metrics' labels) uses <see cref="CacheOutcomeNames.Name"/>.</summary>
public enum CacheOutcome
{
    /// <summary>Not needed by this model.</summary>
    NotUsed,
    /// <summary>Read from Redis.</summary>
    Hit,
    /// <summary>Computed by the encoder, then stored.</summary>
    Miss,
    /// <summary>Computed; the cache was bypassed on request.</summary>
    Bypass,
    /// <summary>Computed; the cache was unreachable or failed.</summary>
    Error,
}

/// <summary>The one mapping from a cache outcome to the name it goes by outside the protobuf wire format. The same
/// words as the proto's value names (<c>CACHE_STATUS_NOT_USED</c> is "not_used"), which is how a gRPC client such as
/// the load tool names them too (<c>ProtoEnumNames.ShortName</c>); a test keeps the two in step.</summary>
public static class CacheOutcomeNames
{
    /// <summary>"hit", "miss", "bypass", "error" or "not_used".</summary>
    public static string Name(this CacheOutcome outcome) => outcome switch
    {
        CacheOutcome.Hit => "hit",
        CacheOutcome.Miss => "miss",
        CacheOutcome.Bypass => "bypass",
        CacheOutcome.Error => "error",
        _ => "not_used",
    };
}
