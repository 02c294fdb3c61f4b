using Prometheus;

namespace Mustafar.Gateway.Observability;

/// <summary>
/// The gateway's Prometheus metrics, in a registry of its own (served on /metrics), so that several gateways in
/// one process (tests, benchmarks) never mix their counts.
/// </summary>
public sealed class GatewayMetrics
{
    public GatewayMetrics()
    {
        var factory = Metrics.WithCustomRegistry(Registry);
        Requests = factory.CreateCounter("mustafar_gateway_requests_total",
            "Questions answered, by API and outcome (ok or the error kind).", "api", "outcome");
        RequestSeconds = factory.CreateHistogram("mustafar_gateway_request_seconds",
            "Whole-request latency by API.", new HistogramConfiguration { LabelNames = ["api"], Buckets = LatencyBuckets });
        StageSeconds = factory.CreateHistogram("mustafar_gateway_stage_seconds",
            "Time in each pipeline stage (decode_image, clip, diffusion, time_to_first_token, generate).",
            new HistogramConfiguration { LabelNames = ["stage"], Buckets = LatencyBuckets });
        InFlight = factory.CreateGauge("mustafar_gateway_requests_in_flight", "Questions being answered now.");
        Rejected = factory.CreateCounter("mustafar_gateway_rejected_total",
            "Requests refused before the pipeline, by reason (concurrency, api_key).", "reason");
        CacheLookups = factory.CreateCounter("mustafar_gateway_cache_lookups_total",
            "Feature cache results by feature (clip, diffusion_conditional, diffusion_unconditional, diffusion_latent) and result (hit, miss, bypass, error).",
            "feature", "result");
        CacheErrors = factory.CreateCounter("mustafar_gateway_cache_errors_total",
            "Redis operations that failed or timed out (get, set, delete), or were skipped because Redis is not connected (unavailable).",
            "operation");
        CacheSkipped = factory.CreateCounter("mustafar_gateway_cache_skipped_total",
            "Features not stored, or values not read, by reason (too_large, model_changed, unexpected_shape, unreadable_value).", "reason");
        CacheInvalid = factory.CreateCounter("mustafar_gateway_cache_invalid_total",
            "Cached values of another shape or dtype than their key names, by feature: read as misses, deleted and recomputed.", "feature");
        CacheShared = factory.CreateCounter("mustafar_gateway_cache_shared_total",
            "Feature requests that joined an identical computation already in flight (single-flight), by feature.", "feature");
        CacheLeases = factory.CreateCounter("mustafar_gateway_cache_leases_total",
            "Redis leases for computing an image's missing diffusion features, by outcome (acquired, acquired_after_wait, " +
            "wait_expired: computed without it, unavailable: Redis down, computed without it).", "outcome");
        CacheLeaseWaiters = factory.CreateGauge("mustafar_gateway_cache_lease_waiters",
            "Requests waiting now for another request's (or gateway's) lease on an image's diffusion features.");
        UpstreamCalls = factory.CreateCounter("mustafar_gateway_upstream_calls_total",
            "Calls to the pools by pool, method and gRPC status.", "pool", "method", "status");
        UpstreamRetries = factory.CreateCounter("mustafar_gateway_upstream_retries_total",
            "Calls retried on another destination after UNAVAILABLE, by pool.", "pool");
    }

    private static readonly double[] LatencyBuckets = Histogram.ExponentialBuckets(0.001, 2, 18);

    public CollectorRegistry Registry { get; } = Metrics.NewCustomRegistry();

    public Counter Requests { get; }
    public Histogram RequestSeconds { get; }
    public Histogram StageSeconds { get; }
    public Gauge InFlight { get; }
    public Counter Rejected { get; }
    public Counter CacheLookups { get; }
    public Counter CacheErrors { get; }
    public Counter CacheSkipped { get; }
    public Counter CacheInvalid { get; }
    public Counter CacheShared { get; }
    public Counter CacheLeases { get; }
    public Gauge CacheLeaseWaiters { get; }
    public Counter UpstreamCalls { get; }
    public Counter UpstreamRetries { get; }
}
