using Microsoft.Extensions.Options;

namespace Mustafar.Gateway.Caching;

/// <summary>Logs "the cache is failing" at most once per <see cref="CacheOptions.WarningInterval"/>, with the number
/// of failures not logged since, so a Redis outage under load does not flood the log (the metrics count each).</summary>
public sealed class CacheWarnings(IOptions<GatewayOptions> options, ILogger<CacheWarnings> logger, TimeProvider time)
{
    private readonly object _gate = new();
    private long _lastLogged = long.MinValue;
    private int _suppressed;

    public void Warn(string operation, string detail)
    {
        int suppressed;
        lock (_gate)
        {
            var now = time.GetTimestamp();
            if (_lastLogged != long.MinValue && time.GetElapsedTime(_lastLogged, now) < options.Value.Cache.WarningInterval)
            {
                _suppressed++;
                return;
            }
            _lastLogged = now;
            suppressed = _suppressed;
            _suppressed = 0;
        }
        logger.LogWarning("Feature cache {Operation} failed, going on without the cache: {Detail} ({Suppressed} similar warnings suppressed)",
            operation, detail, suppressed);
    }
}
