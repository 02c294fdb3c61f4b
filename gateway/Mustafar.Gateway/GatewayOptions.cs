using Mustafar.Gateway.Pipeline;
using Mustafar.ServiceDefaults;

namespace Mustafar.Gateway;

/// <summary>The gateway's settings, bound from the "Gateway" configuration section
/// (environment: <c>MUSTAFAR__Gateway__...</c>) and checked at start-up (<see cref="GatewayOptionsValidation"/>). The pools
/// themselves are YARP clusters under "ReverseProxy".</summary>
public sealed class GatewayOptions : IValidatedOptions
{
    public const string SectionName = "Gateway";

    /// <summary>The model name clients use in "model"; empty: the generator's own model id.</summary>
    public string ModelId { get; set; } = "";

    /// <summary>YARP cluster ids of the three pools.</summary>
    public PoolOptions Pools { get; set; } = new();

    public LimitOptions Limits { get; set; } = new();

    public DiffusionDefaults Diffusion { get; set; } = new();

    public CacheOptions Cache { get; set; } = new();

    public RemoteImageOptions RemoteImages { get; set; } = new();

    /// <summary>Accepted API keys (HTTP <c>Authorization: Bearer KEY</c>, gRPC <c>authorization</c> metadata).
    /// Empty: no key is required.</summary>
    public List<string> ApiKeys { get; set; } = [];

    public UpstreamOptions Upstream { get; set; } = new();

    public IEnumerable<string> Validate() => GatewayOptionsValidation.Check(this);
}

/// <summary>The YARP cluster that serves each pool.</summary>
public sealed class PoolOptions
{
    public string Clip { get; set; } = "clip";
    public string Diffusion { get; set; } = "diffusion";
    public string Generator { get; set; } = "generator";
}

/// <summary>Request size and concurrency limits.</summary>
public sealed class LimitOptions
{
    /// <summary>Largest request body in bytes (Kestrel and every API endpoint). A base64 image is 4/3 of its size.</summary>
    public long MaxRequestBodyBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>Largest encoded image in bytes; larger is 413 (HTTP) or RESOURCE_EXHAUSTED (gRPC).</summary>
    public int MaxImageBytes { get; set; } = 20 * 1024 * 1024;

    /// <summary>Largest image in pixels (width * height), read from the header before anything decodes it.</summary>
    public long MaxImagePixels { get; set; } = 64L * 1024 * 1024;

    /// <summary>The default of <see cref="MaxImageAspectRatio"/>, the model services' own limit.</summary>
    public const int DefaultMaxImageAspectRatio = 1000;

    /// <summary>Largest long side / short side of an image, from the header; beyond it the image is refused with
    /// 400 / INVALID_ARGUMENT (the encoders refuse it too: a 30000x1 strip is no picture for a model).</summary>
    public int MaxImageAspectRatio { get; set; } = DefaultMaxImageAspectRatio;

    /// <summary>Most messages in one chat request, and content parts in all its messages; counted before the request
    /// is parsed into objects, and more is 413.</summary>
    public int MaxMessages { get; set; } = 256;
    public int MaxContentParts { get; set; } = 1024;

    /// <summary>Requests with bodies at least this large return their memory when answered (LargeBodyMemory).</summary>
    public long ReturnMemoryAfterBodyBytes { get; set; } = 4L * 1024 * 1024;

    /// <summary>Questions answered at once; more are refused with 429 / RESOURCE_EXHAUSTED.</summary>
    public int MaxConcurrentRequests { get; set; } = 64;

    /// <summary>Requests that may wait for a free slot before refusals start (0: refuse at once).</summary>
    public int QueueLimit { get; set; }

    /// <summary>Longest time one question may take when the client sets no shorter deadline; the deadline is
    /// propagated to every service call (grpc-timeout).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Largest gRPC message the gateway sends or receives (features exceed gRPC's 4 MB default).</summary>
    public int MaxGrpcMessageBytes { get; set; } = 64 * 1024 * 1024;
}

/// <summary>Diffusion conditioning defaults; null values fall back to the diffusion service's own defaults
/// (from its GetModelInfo), so that cache keys always hold the concrete values used.</summary>
public sealed class DiffusionDefaults
{
    /// <summary>Question (the paper's task-aware setting), Empty or Custom. Unspecified (the default) takes the
    /// prompt mode the generator's fusion module was trained with, else Question.</summary>
    public DiffusionPromptMode PromptMode { get; set; } = DiffusionPromptMode.Unspecified;

    /// <summary>The prompt used when the mode is Custom and the request gives none.</summary>
    public string CustomPrompt { get; set; } = "";

    public int? Timestep { get; set; }

    public ulong? Seed { get; set; }

    public float? GuidanceScale { get; set; }
}

/// <summary>The Redis feature cache.</summary>
public sealed class CacheOptions
{
    /// <summary>False: every feature is computed (status BYPASS is not reported; ERROR is not either).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>StackExchange.Redis configuration string, for example "redis:6379,password=...".
    /// abortConnect=false and short timeouts are applied on top of it.</summary>
    public string Redis { get; set; } = "127.0.0.1:6379";

    /// <summary>Prefix of every key, so that several meshes can share one Redis.</summary>
    public string KeyPrefix { get; set; } = "mustafar:";

    /// <summary>How long a feature lives in the cache.</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Features larger than this (serialized) are not stored.</summary>
    public int MaxValueBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Longest wait for one Redis read or write; past it the request goes on without the cache.</summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Longest wait for one connection attempt (reconnection goes on in the background).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>At most one "cache unavailable" warning per period; the rest are counted in the metrics.</summary>
    public TimeSpan WarningInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a gateway may hold the Redis lease under which it computes an image's missing diffusion
    /// features (the lease then expires by itself, so a gateway that dies holding it blocks nobody for longer), and
    /// how long another gateway waits for it before computing anyway.</summary>
    public TimeSpan LeaseTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a gateway waiting for a lease asks Redis whether it is free.</summary>
    public TimeSpan LeasePollInterval { get; set; } = TimeSpan.FromMilliseconds(20);
}

/// <summary>http(s) image URLs in chat messages. Refused unless the host is listed.</summary>
public sealed class RemoteImageOptions
{
    /// <summary>Host names (exact, case-insensitive) images may be fetched from. Empty: remote URLs are refused.</summary>
    public List<string> AllowedHosts { get; set; } = [];

    /// <summary>Longest time to fetch one image.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>How the gateway talks to the pools.</summary>
public sealed class UpstreamOptions
{
    /// <summary>Longest wait for a TCP connection to a destination.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How long the generator's and encoders' GetModelInfo answers are reused.</summary>
    public TimeSpan ModelInfoTtl { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often DNS names of destinations are resolved again (scaled replicas come and go).</summary>
    public TimeSpan DiscoveryRefresh { get; set; } = TimeSpan.FromSeconds(15);
}
