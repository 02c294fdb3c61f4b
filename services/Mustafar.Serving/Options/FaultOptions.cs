using Mustafar.ServiceDefaults;

namespace Mustafar.Serving;

/// <summary>
/// Fault injection for chaos and resilience testing. Section <c>Mustafar:Faults</c>. Every fault is off by default
/// and a host logs a warning at start-up while one is on; never set these in production.
/// <para>
/// The one fault is a queue delay on the dynamic batchers (the encoders): a request may run only once it has waited
/// <see cref="QueueDelayMs"/> in its queue. It behaves like an overloaded replica and is safe to carry in production
/// code because it only delays work, through the batcher's own queue: a request whose caller cancels or whose
/// deadline passes meanwhile leaves the queue and never reaches the model (counted in
/// <c>mustafar_queue_expired_total</c>), and shutdown fails what is still waiting, as it always does.
/// </para>
/// </summary>
public sealed class FaultOptions : IValidatedOptions
{
    public const string Section = ServingOptionKeys.Root + ":Faults";

    /// <summary>How long every request waits in a dynamic batcher's queue before it may run, in milliseconds.
    /// 0 (the default) is no fault.</summary>
    public double QueueDelayMs { get; set; }

    public TimeSpan QueueDelay => TimeSpan.FromMilliseconds(QueueDelayMs);

    /// <summary>Whether any fault is configured.</summary>
    public bool Active => QueueDelayMs > 0;

    public IEnumerable<string> Validate()
    {
        if (!double.IsFinite(QueueDelayMs) || QueueDelayMs < 0 || QueueDelayMs > 600_000)
            yield return $"{Section}:QueueDelayMs must be between 0 and 600000, not {QueueDelayMs}";
    }
}
