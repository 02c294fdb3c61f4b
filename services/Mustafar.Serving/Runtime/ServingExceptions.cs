namespace Mustafar.Serving;

/// <summary>A queue is at capacity; the caller should back off and retry. Mapped to RESOURCE_EXHAUSTED.</summary>
internal sealed class QueueFullException(string message) : Exception(message);

/// <summary>The service cannot take work now: the model is loading or failed to load, or the host is draining.
/// Mapped to UNAVAILABLE, which clients and YARP treat as retryable on another replica.</summary>
internal sealed class ServiceUnavailableException(string message) : Exception(message);
