using Mustafar.Tensors.FeatureCaching;
using Mustafar.Contracts.Tensors.V1;
using StackExchange.Redis;

namespace Mustafar.Train.Features;

/// <summary>
/// The gateway's Redis feature cache as the trainer uses it: the same keys (<see cref="FeatureKeys"/>), the same
/// value format (<see cref="FeatureCacheFormat"/>) and the same shape and dtype check (<see cref="ExpectedFeature"/>),
/// so what training computes serves requests and what serving computed trains. Unlike the gateway, training needs
/// the cache: a Redis that does not answer fails the run rather than silently recomputing every epoch.
/// </summary>
public sealed class MeshFeatureCache : IDisposable
{
    /// <summary>The gateway's default <c>Cache:KeyPrefix</c> and <c>Cache:Ttl</c>.</summary>
    public const string DefaultKeyPrefix = "mustafar:";
    public static readonly TimeSpan DefaultTtl = TimeSpan.FromHours(24);

    private readonly ConnectionMultiplexer _redis;
    private readonly TimeSpan _ttl;
    private int _hits, _misses, _writes;

    public MeshFeatureCache(string configuration, string keyPrefix = DefaultKeyPrefix, TimeSpan? ttl = null)
    {
        try
        {
            _redis = ConnectionMultiplexer.Connect(configuration);
        }
        catch (RedisConnectionException error)
        {
            throw new ArgumentException($"redis: cannot connect to {configuration}: {error.Message}", error);
        }
        KeyPrefix = keyPrefix;
        _ttl = ttl ?? DefaultTtl;
    }

    public string KeyPrefix { get; }

    public int Hits => _hits;

    public int Misses => _misses;

    public int Writes => _writes;

    /// <summary>The value under <paramref name="key"/> when it is there, of this format and what
    /// <paramref name="expected"/> says (anything else is a miss, as in the gateway).</summary>
    public async Task<FeatureValue?> ReadAsync(string key, ExpectedFeature expected)
    {
        var value = await _redis.GetDatabase().StringGetAsync(key).ConfigureAwait(false);
        var decoded = value.IsNull ? null : FeatureCacheFormat.TryDecode(((byte[])value!).AsSpan());
        if (decoded is not null && expected.Accepts(decoded.Tensor))
        {
            Interlocked.Increment(ref _hits);
            return decoded;
        }
        Interlocked.Increment(ref _misses);
        return null;
    }

    public async Task WriteAsync(string key, FeatureValue value, ExpectedFeature expected)
    {
        if (!expected.Accepts(value.Tensor))
            throw new InvalidDataException($"the encoder returned [{string.Join(", ", value.Tensor.Shape)}] {value.Tensor.Dtype} for {key}");
        await _redis.GetDatabase().StringSetAsync(key, FeatureCacheFormat.Encode(value), _ttl).ConfigureAwait(false);
        Interlocked.Increment(ref _writes);
    }

    public void Dispose() => _redis.Dispose();
}
