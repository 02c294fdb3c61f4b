namespace Mustafar.Gateway.Api;

/// <summary>
/// Caps how many arrays of one size the runtime's shared array pool keeps per core, before anything uses the pool.
/// grpc-dotnet serializes every outgoing message into an array rented from <c>ArrayPool&lt;byte&gt;.Shared</c>, and
/// System.Text.Json reads a large body through the same pool, so a burst of large images leaves arrays of 16 and
/// 32 MiB in it. By default the pool keeps up to 32 of each size per core and, without memory pressure, lets go of one
/// per size and core every 15 s once they have been idle 60 s: after sixteen 12.6 MB bodies at once, hundreds of MiB
/// could stay for minutes, depending on which cores the requests ran (measured: one run in three still 341 MiB above
/// the baseline 150 s later). With one array per size and core, the pool's share is bounded and released whole by the
/// collections <see cref="LargeBodyMemory"/> runs 61 s after a burst. Small arrays lose little: a rent and return on
/// one thread is served by the per-thread slot, which this does not change.
/// </summary>
public static class SharedArrayPoolLimit
{
    /// <summary>The runtime reads this variable once, when the shared pool is first used.</summary>
    public const string Variable = "DOTNET_SYSTEM_BUFFERS_SHAREDARRAYPOOL_MAXARRAYSPERPARTITION";
    /// <summary>A literal: formatting a number could touch the pool (through globalization) before the cap is set.</summary>
    public const string ArraysPerSizePerCore = "1";

    /// <summary>Sets the cap unless the operator set the variable; must run first in Main.</summary>
    public static void Apply()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Variable)))
            Environment.SetEnvironmentVariable(Variable, ArraysPerSizePerCore);
    }
}
