using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Mustafar.Testing;

/// <summary>
/// Measures managed, native and TorchSharp memory, for tests that run hundreds of requests and check that memory
/// stays flat: a leaked tensor shows as a growing <see cref="MemorySnapshot.LiveTensors"/>, a leak in libtorch's
/// CPU allocations as a growing native heap, a managed leak as a growing managed heap. The caller counts the
/// tensors (<see cref="TensorCounts"/>), so that this library, which the gateway's tests use too, needs no TorchSharp.
/// </summary>
public static partial class MemoryProbe
{
    /// <summary>Collects garbage (so that finalizable tensors are freed and counted out), then measures the process
    /// and the tensors <paramref name="countTensors"/> reports.</summary>
    public static async Task<MemorySnapshot> CaptureAsync(Func<Task<TensorCounts>> countTensors)
    {
        ArgumentNullException.ThrowIfNull(countTensors);
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        var managed = GC.GetTotalMemory(forceFullCollection: true);
        var resident = ResidentBytes();
        var native = NativeHeapBytes();
        var tensors = await countTensors().ConfigureAwait(false);
        return new MemorySnapshot(managed, resident, native, tensors.Live, tensors.OnInferenceThread);
    }

    /// <summary>Measures before and after <paramref name="workload"/> (warm everything up before: connections,
    /// pools, allocator arenas), so that what grew is what the workload left behind.</summary>
    public static async Task<MemoryGrowth> AcrossAsync(Func<Task<TensorCounts>> countTensors, Func<Task> workload)
    {
        ArgumentNullException.ThrowIfNull(workload);
        var baseline = await CaptureAsync(countTensors).ConfigureAwait(false);
        await workload().ConfigureAwait(false);
        return new MemoryGrowth(baseline, await CaptureAsync(countTensors).ConfigureAwait(false));
    }

    private static long ResidentBytes()
    {
        // /proc/self/statm counts pages; Process.WorkingSet64 is the portable fallback.
        if (File.Exists("/proc/self/statm"))
        {
            var fields = File.ReadAllText("/proc/self/statm").Split(' ');
            if (fields.Length > 1 && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pages))
                return pages * Environment.SystemPageSize;
        }
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }

    private static long? NativeHeapBytes()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            var info = MallInfo2();
            // Bytes handed out by malloc: from the heap arenas plus the large blocks it mmapped.
            return (long)(info.UsedBytes + info.MmappedBytes);
        }
        catch (Exception error) when (error is EntryPointNotFoundException or DllNotFoundException)
        {
            return null; // not glibc (musl), or glibc older than 2.33
        }
    }

    [LibraryImport("libc", EntryPoint = "mallinfo2")]
    private static partial MallInfo MallInfo2();

    /// <summary>glibc's <c>struct mallinfo2</c> (ten size_t fields).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct MallInfo
    {
        public nuint Arena;
        public nuint FreeChunks;
        public nuint FastBinBlocks;
        public nuint MmappedBlocks;
        public nuint MmappedBytes;
        public nuint MaxTotalAllocated;
        public nuint FastBinFreeBytes;
        public nuint UsedBytes;
        public nuint FreeBytes;
        public nuint Releasable;
    }
}
