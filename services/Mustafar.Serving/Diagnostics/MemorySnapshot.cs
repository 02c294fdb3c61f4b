using System.Globalization;

namespace Mustafar.Serving;

/// <summary>Memory of this process at one moment, as <see cref="MemoryProbe.Capture"/> measured it.</summary>
/// <param name="ManagedBytes">Live managed heap after a full, compacting collection.</param>
/// <param name="ResidentBytes">Resident set size of the process (everything: managed, native, libtorch, code).</param>
/// <param name="NativeHeapBytes">Bytes in use from the C heap (malloc), where libtorch's CPU tensors live;
/// -1 where the C library cannot tell (not glibc).</param>
/// <param name="LiveTensors">TorchSharp tensors created and not yet disposed, in the whole process.</param>
public sealed record MemorySnapshot(long ManagedBytes, long ResidentBytes, long NativeHeapBytes, long LiveTensors)
{
    /// <summary>What grew between <paramref name="baseline"/> and this snapshot (negative: shrank).</summary>
    public MemorySnapshot Since(MemorySnapshot baseline) => new(
        ManagedBytes - baseline.ManagedBytes,
        ResidentBytes - baseline.ResidentBytes,
        NativeHeapBytes < 0 || baseline.NativeHeapBytes < 0 ? -1 : NativeHeapBytes - baseline.NativeHeapBytes,
        LiveTensors - baseline.LiveTensors);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"managed {Mib(ManagedBytes)} MiB, resident {Mib(ResidentBytes)} MiB, native heap {(NativeHeapBytes < 0 ? "n/a" : Mib(NativeHeapBytes) + " MiB")}, live tensors {LiveTensors}");

    private static string Mib(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("F2", CultureInfo.InvariantCulture);
}
