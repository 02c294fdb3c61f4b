namespace Mustafar.Train.Running;

/// <summary>Every random choice of a run as a pure function of (seed, purpose, epoch, sample): a resumed run makes
/// the choices a straight run makes, whatever happened before. SplitMix64 over the combined key.</summary>
public static class SampleRandom
{
    public static ulong Hash(long seed, string purpose, long a, long b = 0)
    {
        var x = Mix((ulong)seed ^ 0x9E3779B97F4A7C15UL);
        foreach (var c in purpose) x = Mix(x ^ c);
        x = Mix(x ^ (ulong)a);
        return Mix(x ^ (ulong)b);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public static double Uniform(long seed, string purpose, long a, long b = 0) => (Hash(seed, purpose, a, b) >> 11) * (1.0 / (1UL << 53));

    /// <summary>The order of <paramref name="count"/> samples in an epoch (Fisher-Yates).</summary>
    public static int[] Permutation(long seed, int epoch, int count)
    {
        var order = Enumerable.Range(0, count).ToArray();
        for (var i = count - 1; i > 0; i--)
        {
            var j = (int)(Hash(seed, "shuffle", epoch, i) % (ulong)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
