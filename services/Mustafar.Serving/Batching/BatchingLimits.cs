namespace Mustafar.Serving;

/// <summary>The limits one batcher or scheduler runs with, usually taken from <see cref="BatchingOptions"/>.</summary>
public sealed record BatchingLimits(int MaxBatchSize, TimeSpan MaxBatchDelay, int QueueCapacity, int StreamBufferCapacity = 256)
{
    public static BatchingLimits From(BatchingOptions options) =>
        new(options.MaxBatchSize, options.MaxBatchDelay, options.QueueCapacity, options.StreamBufferCapacity);
}
