using System.Globalization;

namespace Mustafar.IntegrationTests.Mesh;

/// <summary>A process's resident memory and open file descriptors, read from /proc (Linux).</summary>
public sealed record ProcessResources(long RssKiB, int OpenFiles)
{
    public double RssMiB => RssKiB / 1024.0;

    public static ProcessResources Of(int pid) => new(RssKiBOf(pid), Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length);

    /// <summary>VmRSS from /proc/PID/status: resident pages of the whole process (managed heap, libtorch's native
    /// allocations, code).</summary>
    public static long RssKiBOf(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (!line.StartsWith("VmRSS:", StringComparison.Ordinal)) continue;
            return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }
        throw new InvalidOperationException($"/proc/{pid}/status has no VmRSS line");
    }
}
