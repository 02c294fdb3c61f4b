using Microsoft.Extensions.Options;
using Mustafar.Gateway.Observability;
using StackExchange.Redis;

namespace Mustafar.Gateway.Caching;

/// <summary>
/// Single-flight across gateway replicas: a Redis lease (SET NX with an expiry) under which one gateway computes
/// what its cache lookups missed, while the others wait for it and then read the cache. A lease is only ever an
/// optimisation: a waiter that waits <see cref="CacheOptions.LeaseTimeout"/> computes anyway, a holder that dies
/// lets the lease expire after that time, and without Redis everyone computes at once.
/// </summary>
public sealed class ComputeLeases(RedisConnection redis, IOptions<GatewayOptions> options, GatewayMetrics metrics, CacheWarnings warnings,
    TimeProvider time)
{
    private CacheOptions Options => options.Value.Cache;

    /// <summary>Takes the lease named <paramref name="key"/>, waiting while another caller (in this process or
    /// another) holds it. Never fails for Redis' sake: it returns a lease that is not held instead.</summary>
    public async Task<ComputeLease> AcquireAsync(string key, CancellationToken cancellationToken)
    {
        var token = Guid.NewGuid().ToString("N");
        var started = time.GetTimestamp();
        var waited = false;
        try
        {
            return await TakeAsync(key, token, started, () =>
            {
                if (!waited) metrics.CacheLeaseWaiters.Inc();
                waited = true;
            }, () => waited, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (waited) metrics.CacheLeaseWaiters.Dec();
        }
    }

    private async Task<ComputeLease> TakeAsync(string key, string token, long started, Action waiting, Func<bool> waited,
        CancellationToken cancellationToken)
    {
        while (true)
        {
            if (redis.Database is not { } database) return NotHeld("unavailable", waited());
            bool taken;
            try
            {
                taken = await database.LockTakeAsync(key, token, Options.LeaseTimeout).WaitAsync(Options.OperationTimeout, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (Exception error) when (error is TimeoutException or RedisException)
            {
                metrics.CacheErrors.WithLabels("lease").Inc();
                warnings.Warn("lease", error.Message);
                return NotHeld("unavailable", waited());
            }
            if (taken)
            {
                metrics.CacheLeases.WithLabels(waited() ? "acquired_after_wait" : "acquired").Inc();
                return new ComputeLease(this, database, key, token, waited());
            }
            if (time.GetElapsedTime(started) >= Options.LeaseTimeout) return NotHeld("wait_expired", waited: true);
            waiting();
            await Task.Delay(Options.LeasePollInterval, time, cancellationToken).ConfigureAwait(false);
        }
    }

    private ComputeLease NotHeld(string outcome, bool waited)
    {
        metrics.CacheLeases.WithLabels(outcome).Inc();
        return new ComputeLease(this, null, "", "", waited);
    }

    internal async ValueTask ReleaseAsync(IDatabase database, string key, string token)
    {
        try
        {
            // Deletes the key only while it still holds our token: a lease that expired and was taken by another
            // gateway is left alone. Not cancellable: a cancelled request must still free the lease for the others.
            await database.LockReleaseAsync(key, token).WaitAsync(Options.OperationTimeout).ConfigureAwait(false);
        }
        catch (Exception error) when (error is TimeoutException or RedisException)
        {
            metrics.CacheErrors.WithLabels("lease").Inc();
            warnings.Warn("lease release", error.Message); // it expires by itself after LeaseTimeout
        }
    }
}

/// <summary>A lease from <see cref="ComputeLeases"/>; disposing it releases it.</summary>
/// <remarks><see cref="Waited"/>: another caller held it first, so what it computed may be in the cache now.</remarks>
public sealed class ComputeLease : IAsyncDisposable
{
    private readonly ComputeLeases _owner;
    private readonly IDatabase? _database;
    private readonly string _key;
    private readonly string _token;

    internal ComputeLease(ComputeLeases owner, IDatabase? database, string key, string token, bool waited) =>
        (_owner, _database, _key, _token, Waited) = (owner, database, key, token, waited);

    /// <summary>Whether this caller holds the lease (false: Redis is unavailable, or the wait expired).</summary>
    public bool Held => _database is not null;

    public bool Waited { get; }

    public ValueTask DisposeAsync() => _database is null ? ValueTask.CompletedTask : _owner.ReleaseAsync(_database, _key, _token);
}
