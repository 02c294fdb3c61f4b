using System.Diagnostics;
using Microsoft.Extensions.Options;
using Mustafar.Gateway.Observability;
using Mustafar.Gateway.Pipeline;
using Mustafar.ServiceDefaults;
using Mustafar.Contracts.Tensors.V1;
using Mustafar.Contracts.Vqa.V1;
using StackExchange.Redis;

namespace Mustafar.Gateway.Caching;

/// <summary>A feature computed by an encoder. <paramref name="Storable"/> is false when the answer came from another
/// model than the key names (a rolling update), so it must not be cached under that key.</summary>
public sealed record ComputedFeature(FeatureValue Value, bool Storable = true);

/// <summary>A feature and where it came from.</summary>
public sealed record CachedFeature(FeatureValue Value, CacheOutcome Status)
{
    public Tensor Tensor => Value.Tensor;
}

/// <summary>
/// The Redis feature cache: read, else compute and store, with concurrent misses of one key computed once.
/// Redis is an accelerator, never a dependency: each read or write waits at most
/// <see cref="CacheOptions.OperationTimeout"/>, a failure counts in the metrics and logs a rate-limited warning, and
/// the request goes on with computed features.
/// </summary>
public sealed class FeatureCache(RedisConnection redis, IOptions<GatewayOptions> options, GatewayMetrics metrics, CacheWarnings warnings)
{
    private readonly SingleFlight<CachedFeature> _flights = new();

    private CacheOptions Options => options.Value.Cache;

    /// <summary>Whether a request reads and writes the cache (false when it asked to bypass it, or the cache is off).</summary>
    public bool IsUsed(bool bypass) => !bypass && Options.Enabled;

    /// <param name="feature">Metric label: clip, diffusion_conditional or diffusion_unconditional.</param>
    /// <param name="expected">What a value must be to be served from the cache or stored in it.</param>
    /// <param name="bypass">Neither read nor write (the request asked so).</param>
    public async Task<CachedFeature> GetOrComputeAsync(string feature, string key, ExpectedFeature expected, bool bypass,
        Func<CancellationToken, Task<ComputedFeature>> compute, CancellationToken cancellationToken)
    {
        CachedFeature result;
        if (!IsUsed(bypass))
        {
            result = new CachedFeature((await compute(cancellationToken).ConfigureAwait(false)).Value, CacheOutcome.Bypass);
        }
        else
        {
            (result, _) = await _flights.RunAsync(key, token => LookupOrComputeAsync(feature, key, expected, compute, token), cancellationToken,
                () => metrics.CacheShared.WithLabels(feature).Inc()).ConfigureAwait(false);
        }
        CountLookup(feature, result.Status);
        return result;
    }

    /// <summary>Counts one lookup's result in <c>mustafar_gateway_cache_lookups_total</c>.</summary>
    public void CountLookup(string feature, CacheOutcome status) => metrics.CacheLookups.WithLabels(feature, status.Name()).Inc();

    /// <summary>Reads <paramref name="key"/>: the value when it is there and is what <paramref name="expected"/>
    /// says; null on a miss. A well-formed value of another shape or dtype is a miss, counted and deleted now so that
    /// it is gone even if the computation that follows fails. <c>Failed</c>: Redis did not answer.</summary>
    public async Task<(FeatureValue? Value, bool Failed)> ReadAsync(string feature, string key, ExpectedFeature expected, CancellationToken cancellationToken)
    {
        using var span = CacheSpan("cache.get", feature);
        var (cached, failed) = await TryReadAsync(key, cancellationToken).ConfigureAwait(false);
        span?.SetTag(SpanTags.CacheResult, failed ? "error" : cached is null ? "miss" : expected.Accepts(cached.Tensor) ? "hit" : "invalid");
        if (cached is null || expected.Accepts(cached.Tensor)) return (cached, failed);
        metrics.CacheInvalid.WithLabels(feature).Inc();
        await TryDeleteAsync(key, cancellationToken).ConfigureAwait(false);
        return (null, false);
    }

    /// <summary>Stores a computed value unless it must not be (another model, another shape, too large).</summary>
    /// <returns>False when the write failed (a skipped write is not a failure).</returns>
    public Task<bool> WriteAsync(string key, ComputedFeature computed, ExpectedFeature expected, CancellationToken cancellationToken) =>
        TracedWriteAsync(feature: null, key, computed, expected, cancellationToken);

    private async Task<CachedFeature> LookupOrComputeAsync(string feature, string key, ExpectedFeature expected,
        Func<CancellationToken, Task<ComputedFeature>> compute, CancellationToken cancellationToken)
    {
        var (cached, readFailed) = await ReadAsync(feature, key, expected, cancellationToken).ConfigureAwait(false);
        if (cached is not null) return new CachedFeature(cached, CacheOutcome.Hit);

        var computed = await compute(cancellationToken).ConfigureAwait(false);
        if (readFailed) return new CachedFeature(computed.Value, CacheOutcome.Error);
        var written = await TracedWriteAsync(feature, key, computed, expected, cancellationToken).ConfigureAwait(false);
        return new CachedFeature(computed.Value, written ? CacheOutcome.Miss : CacheOutcome.Error);
    }

    /// <summary>A span of one cache operation on one feature, under the request's span.</summary>
    private static Activity? CacheSpan(string operation, string? feature)
    {
        var span = MeshTracing.Source.StartActivity(operation, ActivityKind.Client);
        span?.SetTag("db.system.name", "redis");
        span?.SetTag(SpanTags.CacheFeature, feature);
        return span;
    }

    private async Task<bool> TracedWriteAsync(string? feature, string key, ComputedFeature computed, ExpectedFeature expected,
        CancellationToken cancellationToken)
    {
        using var span = CacheSpan("cache.set", feature);
        var written = await TryWriteAsync(key, computed, expected, cancellationToken).ConfigureAwait(false);
        span?.SetTag(SpanTags.CacheResult, written ? "stored" : "error");
        return written;
    }

    private async Task<(FeatureValue? Value, bool Failed)> TryReadAsync(string key, CancellationToken cancellationToken)
    {
        if (redis.Database is not { } database)
        {
            Fail("unavailable", "Redis is not connected");
            return (null, true);
        }
        try
        {
            var value = await database.StringGetAsync(key).WaitAsync(Options.OperationTimeout, cancellationToken).ConfigureAwait(false);
            if (value.IsNull) return (null, false);
            var decoded = FeatureCacheFormat.TryDecode(((byte[])value!).AsSpan());
            if (decoded is null) metrics.CacheSkipped.WithLabels("unreadable_value").Inc(); // another format: recomputed and overwritten
            return (decoded, false);
        }
        catch (Exception error) when (error is TimeoutException or RedisException)
        {
            Fail("get", error.Message);
            return (null, true);
        }
    }

    private async Task TryDeleteAsync(string key, CancellationToken cancellationToken)
    {
        if (redis.Database is not { } database) return; // the write after the computation reports the outage
        try
        {
            await database.KeyDeleteAsync(key).WaitAsync(Options.OperationTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (error is TimeoutException or RedisException)
        {
            Fail("delete", error.Message);
        }
    }

    /// <returns>False when the write failed (a skipped write is not a failure).</returns>
    private async Task<bool> TryWriteAsync(string key, ComputedFeature computed, ExpectedFeature expected, CancellationToken cancellationToken)
    {
        if (!computed.Storable)
        {
            metrics.CacheSkipped.WithLabels("model_changed").Inc();
            return true;
        }
        if (!expected.Accepts(computed.Value.Tensor))
        {
            // The request fails on it (FeatureShape says why); storing it would fail every later one too.
            metrics.CacheSkipped.WithLabels("unexpected_shape").Inc();
            return true;
        }
        var bytes = FeatureCacheFormat.Encode(computed.Value);
        if (bytes.Length > Options.MaxValueBytes)
        {
            metrics.CacheSkipped.WithLabels("too_large").Inc();
            return true;
        }
        if (redis.Database is not { } database)
        {
            Fail("unavailable", "Redis is not connected");
            return false;
        }
        try
        {
            await database.StringSetAsync(key, bytes, Options.Ttl).WaitAsync(Options.OperationTimeout, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception error) when (error is TimeoutException or RedisException)
        {
            Fail("set", error.Message);
            return false;
        }
    }

    private void Fail(string operation, string detail)
    {
        metrics.CacheErrors.WithLabels(operation).Inc();
        warnings.Warn(operation, detail);
    }
}
