using Grpc.Core;
using Grpc.Net.Client;
using Mustafar.Gateway.Routing;

namespace Mustafar.Gateway.Clients;

/// <summary>
/// A pool's GetModelInfo answer, fetched once and reused for <see cref="UpstreamOptions.ModelInfoTtl"/>. A failed
/// fetch is not kept, and the info is dropped, so that the next request fetches it again, when a service's answer
/// contradicts it (<see cref="Confirm"/>) or a request planned from it fails in a way that says the model may have
/// changed (<see cref="DropIfContradicted"/>): these two are the only rules for when cached info stops being
/// trusted. Concurrent requests share one fetch, which runs under its own timeout rather than any one caller's
/// cancellation.
/// </summary>
public sealed class ModelInfoSource<TInfo>(UpstreamPools pools, string pool, TimeSpan ttl, TimeProvider time,
    Func<GrpcChannel, DateTime, CancellationToken, Task<TInfo>> fetch) where TInfo : class
{
    private static readonly TimeSpan FetchTimeout = TimeSpan.FromSeconds(15);
    private readonly object _gate = new();
    private Task<TInfo>? _current;
    private long _fetchedAt;

    public string Pool => pool;

    public Task<TInfo> GetAsync(CancellationToken cancellationToken)
    {
        Task<TInfo> task;
        lock (_gate)
        {
            var stale = _current is null
                || _current.IsFaulted || _current.IsCanceled
                || (_current.IsCompletedSuccessfully && time.GetElapsedTime(_fetchedAt) > ttl);
            if (stale)
            {
                _fetchedAt = time.GetTimestamp();
                _current = FetchAsync();
            }
            task = _current!;
        }
        return task.WaitAsync(cancellationToken);
    }

    /// <summary>Drops the info when <paramref name="error"/>, the failure of a request planned from it, says the
    /// pool's model may have changed since it was fetched: features that do not fit what the info promised
    /// (<see cref="ErrorKind.BadUpstream"/>), or a request a service refused as invalid (INVALID_ARGUMENT: a feature,
    /// layer or tap the model no longer takes). Other failures (unavailable, cancelled, deadline) say nothing about
    /// the model and keep it. The caller rethrows the error.</summary>
    public void DropIfContradicted(Exception error)
    {
        if (error is GatewayException { Kind: ErrorKind.BadUpstream } or RpcException { StatusCode: StatusCode.InvalidArgument }) Invalidate();
    }

    /// <summary>Whether an encoder's answer was made as the cached info said (the model id and the settings it
    /// echoes): when not, the pool runs another model now, so the info is dropped and the next request learns it.
    /// Returns <paramref name="asKeyed"/>, which also says whether the answer may be cached under its key.</summary>
    public bool Confirm(bool asKeyed)
    {
        if (!asKeyed) Invalidate();
        return asKeyed;
    }

    private void Invalidate()
    {
        lock (_gate) _current = null;
    }

    private async Task<TInfo> FetchAsync()
    {
        using var timeout = new CancellationTokenSource(FetchTimeout);
        var deadline = DateTime.UtcNow + FetchTimeout;
        return await pools.CallIdempotentAsync(pool, "GetModelInfo", null,
            channel => fetch(channel, deadline, timeout.Token), timeout.Token).ConfigureAwait(false);
    }
}
