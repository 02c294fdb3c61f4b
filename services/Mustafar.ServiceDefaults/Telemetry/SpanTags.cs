namespace Mustafar.ServiceDefaults;

/// <summary>The attribute names of the project's spans, written the same by the gateway and the services.</summary>
public static class SpanTags
{
    /// <summary>The gateway's pool (YARP cluster) a call went to.</summary>
    public const string Pool = "mustafar.pool";

    /// <summary>The pool's destination (YARP destination id) that took the call.</summary>
    public const string Destination = "mustafar.destination";

    /// <summary>The destination's address.</summary>
    public const string DestinationAddress = "server.address";

    /// <summary>The gRPC method of a pool call.</summary>
    public const string RpcMethod = "rpc.method";

    /// <summary>Which try of a pool call this is (0 first, 1 the retry on another destination).</summary>
    public const string Attempt = "mustafar.attempt";

    /// <summary>The model a service serves.</summary>
    public const string Model = "mustafar.model";

    /// <summary>The serving queue a request went through (encode, generate).</summary>
    public const string Queue = "mustafar.queue";

    /// <summary>Requests (encoders) or sequences (generator) in the forward pass a request ran in.</summary>
    public const string BatchSize = "mustafar.batch.size";

    /// <summary>Milliseconds the request waited in its queue before its forward pass.</summary>
    public const string QueueWaitMs = "mustafar.queue.wait_ms";

    /// <summary>Milliseconds of the forward pass the request ran in.</summary>
    public const string ComputeMs = "mustafar.compute_ms";

    /// <summary>The cached feature (clip, diffusion_conditional, diffusion_unconditional, diffusion_latent).</summary>
    public const string CacheFeature = "mustafar.cache.feature";

    /// <summary>What a cache read found (hit, miss, error) or a write did (stored, skipped, error).</summary>
    public const string CacheResult = "mustafar.cache.result";

    /// <summary>Tokens generated so far.</summary>
    public const string CompletionTokens = "mustafar.completion_tokens";
}
