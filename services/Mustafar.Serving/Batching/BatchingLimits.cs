namespace Mustafar.Serving;

/// <summary>The limits one batcher or scheduler runs with, usually taken from <see cref="BatchingOptions"/>.</summary>
public sealed record BatchingLimits(int MaxBatchSize, TimeSpan MaxBatchDelay, int QueueCapacity, int StreamBufferCapacity = 256)
{
    /// <summary>Fault injection (<see cref="FaultOptions.QueueDelayMs"/>): the least time a request waits in a
    /// dynamic batcher's queue before it may run. Zero, the default, is no fault.</summary>
    public TimeSpan InjectedQueueDelay { get; init; }

    /// <summary>The batch cap the service chose at start-up (<see cref="BatchSizeCalibration"/>), read at every batch
    /// because batchers can be made before it is known; null: <see cref="MaxBatchSize"/>.</summary>
    public Func<int>? Cap { get; init; }

    /// <summary>The most rows a batch is formed with now: the cap, never above MaxBatchSize.</summary>
    public int BatchRows => Cap is { } cap ? Math.Clamp(cap(), 1, MaxBatchSize) : MaxBatchSize;

    public static BatchingLimits From(BatchingOptions options) =>
        new(options.MaxBatchSize, options.MaxBatchDelay, options.QueueCapacity, options.StreamBufferCapacity);
}
