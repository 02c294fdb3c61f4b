namespace Mustafar.Serving;

/// <summary>A queue that feeds the inference thread (a batcher or a step scheduler). The runtime stops every
/// workload when the host shuts down.</summary>
internal interface IWorkload
{
    /// <summary>Refuses new work and fails everything queued or running with <paramref name="reason"/> at once:
    /// callers do not wait for a forward pass that is still running on the inference thread.</summary>
    void Stop(Exception reason);

    /// <summary>Completes when the workload's pump has ended (after the forward pass that was running, if any).</summary>
    Task Completion { get; }
}
