using Mustafar.Gateway.Pipeline;

namespace Mustafar.Gateway;

/// <summary>
/// The checks of every <see cref="GatewayOptions"/> value, run at start-up (<see cref="GatewayOptions.Validate"/>):
/// each problem names its configuration key (<c>Gateway:Cache:Ttl</c>; <c>MUSTAFAR__Gateway__Cache__Ttl</c> in the
/// environment) and the value it was given.
/// </summary>
internal static class GatewayOptionsValidation
{
    private const string Root = GatewayOptions.SectionName;

    public static IEnumerable<string> Check(GatewayOptions options) =>
        Pools(options.Pools).Concat(Limits(options.Limits)).Concat(Diffusion(options.Diffusion)).Concat(Cache(options.Cache))
            .Concat(RemoteImages(options.RemoteImages)).Concat(Upstream(options.Upstream)).Concat(ApiKeys(options.ApiKeys));

    private static IEnumerable<string> Pools(PoolOptions pools)
    {
        const string section = Root + ":Pools";
        if (string.IsNullOrWhiteSpace(pools.Clip)) yield return $"{section}:Clip must name a ReverseProxy cluster, not be empty";
        if (string.IsNullOrWhiteSpace(pools.Diffusion)) yield return $"{section}:Diffusion must name a ReverseProxy cluster, not be empty";
        if (string.IsNullOrWhiteSpace(pools.Generator)) yield return $"{section}:Generator must name a ReverseProxy cluster, not be empty";
    }

    private static IEnumerable<string> Limits(LimitOptions limits)
    {
        const string section = Root + ":Limits";
        if (limits.MaxRequestBodyBytes < 1) yield return $"{section}:MaxRequestBodyBytes must be positive, not {limits.MaxRequestBodyBytes}";
        if (limits.MaxImageBytes < 1) yield return $"{section}:MaxImageBytes must be positive, not {limits.MaxImageBytes}";
        if (limits.MaxImagePixels < 1) yield return $"{section}:MaxImagePixels must be positive, not {limits.MaxImagePixels}";
        if (limits.MaxImageAspectRatio < 1) yield return $"{section}:MaxImageAspectRatio must be at least 1, not {limits.MaxImageAspectRatio}";
        if (limits.MaxMessages < 1) yield return $"{section}:MaxMessages must be at least 1, not {limits.MaxMessages}";
        if (limits.MaxContentParts < 1) yield return $"{section}:MaxContentParts must be at least 1, not {limits.MaxContentParts}";
        if (limits.ReturnMemoryAfterBodyBytes < 0)
            yield return $"{section}:ReturnMemoryAfterBodyBytes must be 0 or more, not {limits.ReturnMemoryAfterBodyBytes}";
        if (limits.MaxConcurrentRequests < 1) yield return $"{section}:MaxConcurrentRequests must be at least 1, not {limits.MaxConcurrentRequests}";
        if (limits.QueueLimit < 0) yield return $"{section}:QueueLimit must be 0 or more, not {limits.QueueLimit}";
        if (Positive(limits.RequestTimeout, $"{section}:RequestTimeout") is { } timeout) yield return timeout;
        if (limits.MaxGrpcMessageBytes < 1) yield return $"{section}:MaxGrpcMessageBytes must be positive, not {limits.MaxGrpcMessageBytes}";
    }

    private static IEnumerable<string> Diffusion(DiffusionDefaults diffusion)
    {
        const string section = Root + ":Diffusion";
        if (!Enum.IsDefined(diffusion.PromptMode))
            yield return $"{section}:PromptMode must be one of {string.Join(", ", Enum.GetNames<DiffusionPromptMode>())}, not {(int)diffusion.PromptMode}";
        if (diffusion.Timestep is < 0) yield return $"{section}:Timestep must be 0 or more, not {diffusion.Timestep}";
        if (diffusion.GuidanceScale is { } scale && !float.IsFinite(scale))
            yield return $"{section}:GuidanceScale must be a finite number, not {scale}";
    }

    private static IEnumerable<string> Cache(CacheOptions cache)
    {
        const string section = Root + ":Cache";
        if (cache.Enabled && string.IsNullOrWhiteSpace(cache.Redis))
            yield return $"{section}:Redis must be a StackExchange.Redis configuration string (\"host:port\") while the cache is enabled, not be empty";
        if (cache.MaxValueBytes < 1) yield return $"{section}:MaxValueBytes must be positive, not {cache.MaxValueBytes}";
        string?[] durations =
        [
            Positive(cache.Ttl, $"{section}:Ttl"),
            Positive(cache.OperationTimeout, $"{section}:OperationTimeout"),
            Positive(cache.ConnectTimeout, $"{section}:ConnectTimeout"),
            NotNegative(cache.WarningInterval, $"{section}:WarningInterval"),
            Positive(cache.LeaseTimeout, $"{section}:LeaseTimeout"),
            Positive(cache.LeasePollInterval, $"{section}:LeasePollInterval"),
        ];
        foreach (var problem in durations.OfType<string>()) yield return problem;
    }

    private static IEnumerable<string> RemoteImages(RemoteImageOptions remote)
    {
        const string section = Root + ":RemoteImages";
        if (Positive(remote.Timeout, $"{section}:Timeout") is { } timeout) yield return timeout;
        for (var i = 0; i < remote.AllowedHosts.Count; i++)
            if (Uri.CheckHostName(remote.AllowedHosts[i]) == UriHostNameType.Unknown)
                yield return $"{section}:AllowedHosts:{i} must be a host name, not '{remote.AllowedHosts[i]}'";
    }

    private static IEnumerable<string> Upstream(UpstreamOptions upstream)
    {
        const string section = Root + ":Upstream";
        string?[] durations =
        [
            Positive(upstream.ConnectTimeout, $"{section}:ConnectTimeout"),
            NotNegative(upstream.ModelInfoTtl, $"{section}:ModelInfoTtl"),
            Positive(upstream.DiscoveryRefresh, $"{section}:DiscoveryRefresh"),
        ];
        return durations.OfType<string>();
    }

    private static IEnumerable<string> ApiKeys(List<string> keys)
    {
        for (var i = 0; i < keys.Count; i++)
            if (string.IsNullOrWhiteSpace(keys[i])) yield return $"{Root}:ApiKeys:{i} is empty; an empty key would let anyone in";
    }

    private static string? Positive(TimeSpan value, string key) => value > TimeSpan.Zero ? null : $"{key} must be a positive duration, not {value}";

    private static string? NotNegative(TimeSpan value, string key) => value >= TimeSpan.Zero ? null : $"{key} must not be negative, not {value}";
}
