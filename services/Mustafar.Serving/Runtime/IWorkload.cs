namespace Mustafar.Serving;

/// <summary>A queue that feeds the inference thread (a batcher or a step scheduler). The runtime stops every
/// workload when the host shuts down.</summary>
internal interface IWorkload
{
    /// <summary>Refuses new work, fails what is queued or running with <paramref name="reason"/>, and returns when
    /// the workload's pump has ended.</summary>
    Task StopAsync(Exception reason);
}
