namespace Mustafar.Load.Requests;

/// <summary>
/// The images a run sends: a small set of repeated images (the same files in every run with the same base image,
/// so that after their first use the gateway's cache has their features) and never-seen images (tagged with this
/// run's id and a counter, so that no earlier run and no other request has cached them).
/// </summary>
public sealed class ImageSet
{
    private readonly byte[] _base;
    private readonly byte[][] _repeated;
    private readonly string _runId = Guid.NewGuid().ToString("N");

    public ImageSet(byte[] basePng, int repeatedCount, string name = "the image")
    {
        PngVariants.CheckPng(basePng, name);
        _base = basePng;
        _repeated = Enumerable.Range(0, repeatedCount).Select(i => PngVariants.Tagged(basePng, $"repeated-{i}")).ToArray();
    }

    public int RepeatedCount => _repeated.Length;

    public byte[] Repeated(int index) => _repeated[index % _repeated.Length];

    public byte[] Fresh(long index) => PngVariants.Tagged(_base, $"{_runId}-{index}");

    /// <summary>The PNG named by <paramref name="path"/>, or the repository's sample image when it is null (looked
    /// for upwards from the working directory and from this tool's folder).</summary>
    public static (byte[] Bytes, string Name) Load(string? path)
    {
        if (path is not null) return (File.ReadAllBytes(path), path);
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var sample = Path.Combine(dir.FullName, "deploy", "sample", "still-life.png");
                if (File.Exists(sample)) return (File.ReadAllBytes(sample), sample);
            }
        }
        throw new FileNotFoundException("no --image given and deploy/sample/still-life.png was not found above the working directory");
    }
}
