using Mustafar.ServiceDefaults;

namespace Mustafar.Serving;

/// <summary>How requests are queued and grouped. Section <c>Mustafar:Batching</c>. The same limits serve the
/// dynamic batcher (encoders) and the step scheduler (generator: a batch is the set of sequences decoded
/// together).</summary>
public sealed class BatchingOptions : IValidatedOptions
{
    public const string Section = ServingOptionKeys.Root + ":Batching";

    /// <summary>Most requests (encoders) or sequences (generator) in one forward pass.</summary>
    public int MaxBatchSize { get; set; } = 8;

    /// <summary>How long the oldest queued request may wait for others to join its batch, in milliseconds.
    /// 0 runs whatever is queued at once.</summary>
    public double MaxBatchDelayMs { get; set; } = 5;

    /// <summary>Requests that may wait for a batch; one more is refused with RESOURCE_EXHAUSTED.</summary>
    public int QueueCapacity { get; set; } = 64;

    /// <summary>Generator only: outputs buffered per sequence for a caller that reads slower than the model
    /// decodes. A caller that falls this far behind loses its sequence (RESOURCE_EXHAUSTED), so that one slow
    /// reader never stalls the batch.</summary>
    public int StreamBufferCapacity { get; set; } = 256;

    /// <summary>Measure the per-item time (encoders: per image or U-Net row; generator: per sequence of one decode
    /// step) at batch sizes 1, 2, 4, ... up to <see cref="MaxBatchSize"/> at start-up and cap batches where it stops
    /// improving (<see cref="BatchSizeCalibration"/>); MaxBatchSize stays the upper bound. False batches up to
    /// MaxBatchSize as configured.</summary>
    public bool CalibrateBatchSize { get; set; } = true;

    /// <summary>How much faster per item (a fraction) a larger batch must be to be taken: the noise allowance.</summary>
    public double CalibrationTolerance { get; set; } = 0.05;

    /// <summary>Timed runs per batch size (after one untimed run); the best counts.</summary>
    public int CalibrationRuns { get; set; } = 3;

    /// <summary>Most start-up time the calibration may take, in seconds; it stops at the size chosen so far.</summary>
    public double CalibrationBudgetSeconds { get; set; } = 30;

    public TimeSpan MaxBatchDelay => TimeSpan.FromMilliseconds(MaxBatchDelayMs);

    public IEnumerable<string> Validate()
    {
        if (MaxBatchSize < 1) yield return $"{Section}:MaxBatchSize must be at least 1, not {MaxBatchSize}";
        if (!double.IsFinite(MaxBatchDelayMs) || MaxBatchDelayMs < 0 || MaxBatchDelayMs > 60_000)
            yield return $"{Section}:MaxBatchDelayMs must be between 0 and 60000, not {MaxBatchDelayMs}";
        if (!double.IsFinite(CalibrationTolerance) || CalibrationTolerance < 0 || CalibrationTolerance >= 1)
            yield return $"{Section}:CalibrationTolerance must be at least 0 and below 1, not {CalibrationTolerance}";
        if (CalibrationRuns < 1) yield return $"{Section}:CalibrationRuns must be at least 1, not {CalibrationRuns}";
        if (!double.IsFinite(CalibrationBudgetSeconds) || CalibrationBudgetSeconds < 0 || CalibrationBudgetSeconds > 600)
            yield return $"{Section}:CalibrationBudgetSeconds must be between 0 and 600, not {CalibrationBudgetSeconds}";
        if (QueueCapacity < 1) yield return $"{Section}:QueueCapacity must be at least 1, not {QueueCapacity}";
        if (StreamBufferCapacity < 1)
            yield return $"{Section}:StreamBufferCapacity must be at least 1, not {StreamBufferCapacity}";
    }
}
