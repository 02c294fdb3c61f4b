using System.Globalization;

namespace Mustafar.Testing;

/// <summary>Memory of this process at one moment (or, from <see cref="Since"/>, the change between two).</summary>
/// <param name="ManagedBytes">Live managed heap after a full, compacting collection.</param>
/// <param name="ResidentBytes">Resident set size of the process (everything: managed, native, libtorch, code).</param>
/// <param name="NativeHeapBytes">Bytes in use from the C heap (malloc), where libtorch's CPU tensors live; null
/// where the C library cannot tell (not glibc).</param>
/// <param name="LiveTensors">TorchSharp tensors alive in the whole process (a tensor the garbage collector
/// finalized counts as freed here).</param>
/// <param name="InferenceThreadLiveTensors">Tensors created on the inference thread and not disposed there: the
/// sharp leak detector, because a tensor that escaped its dispose scope stays counted even after the garbage
/// collector finalized it. Null when no inference thread was measured.</param>
public sealed record MemorySnapshot(long ManagedBytes, long ResidentBytes, long? NativeHeapBytes, long LiveTensors,
    long? InferenceThreadLiveTensors = null)
{
    /// <summary>What grew between <paramref name="baseline"/> and this snapshot (negative: shrank).</summary>
    public MemorySnapshot Since(MemorySnapshot baseline) => new(
        ManagedBytes - baseline.ManagedBytes,
        ResidentBytes - baseline.ResidentBytes,
        NativeHeapBytes - baseline.NativeHeapBytes,
        LiveTensors - baseline.LiveTensors,
        InferenceThreadLiveTensors - baseline.InferenceThreadLiveTensors);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"managed {Mib(ManagedBytes)} MiB, resident {Mib(ResidentBytes)} MiB, native heap {Mib(NativeHeapBytes)} MiB, live tensors {LiveTensors}, inference-thread tensors {InferenceThreadLiveTensors?.ToString(CultureInfo.InvariantCulture) ?? "n/a"}");

    private static string Mib(long? bytes) =>
        bytes is { } value ? (value / (1024.0 * 1024.0)).ToString("F2", CultureInfo.InvariantCulture) : "n/a";
}
