using System.Globalization;
using System.Runtime.InteropServices;

namespace Mustafar.Benchmarks.Clip;

/// <summary>
/// Memory of this process around one action, from Linux's /proc. VmHWM (peak RSS, reset by writing 5 to
/// /proc/self/clear_refs) counts file pages that are mapped and read as well as private memory, so private
/// (anonymous) memory is also sampled on a background thread: that is what a loader really costs, since mapped
/// file pages are page cache the kernel can drop and share. Managed allocations are counted too, because a loader
/// that stages tensors in byte arrays shows there.
/// </summary>
internal static class ProcessMemory
{
    public sealed record Usage(long PeakRssAboveStart, long PeakAnonymousAboveStart, long ManagedAllocated);

    public static bool Supported => File.Exists("/proc/self/clear_refs") && File.Exists("/proc/self/status");

    public static Usage Measure(Action action)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        // Native memory freed by earlier runs stays in glibc's arenas and in RSS; hand it back first, or an
        // action that reuses it would look free.
        malloc_trim(0);
        File.WriteAllText("/proc/self/clear_refs", "5");
        var rssBefore = Status("VmRSS");
        var anonymousBefore = Status("RssAnon");
        var peakAnonymous = anonymousBefore;
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                peakAnonymous = Math.Max(peakAnonymous, Status("RssAnon"));
                Thread.Sleep(1);
            }
        });
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        action();
        var managed = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        stop.Cancel();
        sampler.Wait();
        peakAnonymous = Math.Max(peakAnonymous, Status("RssAnon"));
        return new Usage(Status("VmHWM") - rssBefore, peakAnonymous - anonymousBefore, managed);
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int malloc_trim(nuint pad);

    private static long Status(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        throw new InvalidOperationException($"/proc/self/status has no {field}");
    }
}
