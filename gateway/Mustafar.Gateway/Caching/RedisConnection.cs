using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Mustafar.Gateway.Caching;

/// <summary>
/// The one shared <see cref="ConnectionMultiplexer"/>. It connects in the background, so a Redis that is down
/// when the gateway starts never delays start-up (abortConnect=false), and StackExchange.Redis keeps reconnecting
/// on its own, so the cache comes back by itself when Redis does. While Redis is not connected the cache is
/// skipped at once (no backlog queueing) rather than waited for.
/// </summary>
public sealed class RedisConnection : IAsyncDisposable
{
    private readonly Task<ConnectionMultiplexer?> _connection;

    public RedisConnection(IOptions<GatewayOptions> options, ILogger<RedisConnection> logger)
    {
        var cache = options.Value.Cache;
        _connection = cache.Enabled ? Task.Run(() => ConnectAsync(cache, logger)) : Task.FromResult<ConnectionMultiplexer?>(null);
    }

    /// <summary>The database when Redis is connected now; null otherwise (still connecting, down, or disabled).</summary>
    public IDatabase? Database =>
        _connection.IsCompletedSuccessfully && _connection.Result is { IsConnected: true } multiplexer ? multiplexer.GetDatabase() : null;

    public static ConfigurationOptions BuildConfiguration(CacheOptions cache)
    {
        var configuration = ConfigurationOptions.Parse(cache.Redis);
        configuration.AbortOnConnectFail = false;
        configuration.ConnectTimeout = Milliseconds(cache.ConnectTimeout);
        configuration.SyncTimeout = Milliseconds(cache.OperationTimeout);
        configuration.AsyncTimeout = Milliseconds(cache.OperationTimeout);
        configuration.ConnectRetry = 1;
        configuration.ReconnectRetryPolicy = new LinearRetry(500);
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        configuration.ClientName ??= "mustafar-gateway";
        return configuration;
    }

    private static int Milliseconds(TimeSpan span) => (int)Math.Clamp(span.TotalMilliseconds, 1, int.MaxValue);

    private static async Task<ConnectionMultiplexer?> ConnectAsync(CacheOptions cache, ILogger logger)
    {
        try
        {
            var multiplexer = await ConnectionMultiplexer.ConnectAsync(BuildConfiguration(cache)).ConfigureAwait(false);
            if (!multiplexer.IsConnected)
                logger.LogWarning("Redis at {Redis} is not reachable yet; features are computed without the cache until it is", cache.Redis);
            return multiplexer;
        }
        catch (Exception error) when (error is RedisException or ArgumentException or InvalidOperationException)
        {
            // A malformed configuration string: the gateway still serves, without a cache.
            logger.LogError(error, "Redis configuration '{Redis}' is unusable; the feature cache is off", cache.Redis);
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        var multiplexer = await _connection.ConfigureAwait(false);
        if (multiplexer is not null) await multiplexer.DisposeAsync().ConfigureAwait(false);
    }
}
