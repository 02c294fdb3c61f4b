namespace Mustafar.Serving;

/// <summary>The limits one batcher or scheduler runs with, usually taken from <see cref="BatchingOptions"/>.</summary>
public sealed record BatchingLimits(int MaxBatchSize, TimeSpan MaxBatchDelay, int QueueCapacity, int StreamBufferCapacity = 256)
{
    /// <summary>Fault injection (<see cref="FaultOptions.QueueDelayMs"/>): the least time a request waits in a
    /// dynamic batcher's queue before it may run. Zero, the default, is no fault.</summary>
    public TimeSpan InjectedQueueDelay { get; init; }

    public static BatchingLimits From(BatchingOptions options) =>
        new(options.MaxBatchSize, options.MaxBatchDelay, options.QueueCapacity, options.StreamBufferCapacity);
}
