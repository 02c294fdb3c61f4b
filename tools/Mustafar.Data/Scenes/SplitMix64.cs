namespace Mustafar.Data.Scenes;

/// <summary>SplitMix64 (Steele, Lea, Flood 2014): a seeded generator whose sequence is fixed by its definition, so a
/// seed gives the same set on every machine and every .NET version (System.Random promises neither).</summary>
public sealed class SplitMix64(ulong seed)
{
    private ulong _state = seed;

    public ulong NextUInt64()
    {
        unchecked
        {
            var z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    /// <summary>A number in [min, maxExclusive). Plain modulo: its bias is below 2^-40 for the small ranges used here.</summary>
    public int Next(int min, int maxExclusive)
    {
        if (maxExclusive <= min) throw new ArgumentOutOfRangeException(nameof(maxExclusive), $"empty range [{min}, {maxExclusive})");
        return min + (int)(NextUInt64() % (ulong)(maxExclusive - min));
    }

    public T Pick<T>(IReadOnlyList<T> items) => items[Next(0, items.Count)];
}
