namespace Mustafar.Models.Imaging;

/// <summary>
/// Pillow's fixed-point resampling coefficients along one axis, for a run of output indices only: the cost is
/// that run times the kernel's support, never the whole output (a crop of a 6-million-pixel-wide resize needs 336
/// columns of weights, not 6 million).
/// </summary>
internal sealed class ResampleWeights
{
    /// <summary>Fraction bits of Pillow's fixed-point weights (32 - 8 - 2: 8 bits of pixel, 2 of headroom).</summary>
    public const int PrecisionBits = 32 - 8 - 2;
    public const int One = 1 << PrecisionBits;

    private readonly int[] _starts;
    private readonly int[] _counts;
    private readonly int[] _fixed;
    private readonly long[] _sums;
    private readonly int _kernelSize;

    /// <summary>How many output indices these weights cover.</summary>
    public int Count => _starts.Length;

    private ResampleWeights(int[] starts, int[] counts, int[] fixedWeights, int kernelSize)
    {
        _starts = starts;
        _counts = counts;
        _fixed = fixedWeights;
        _kernelSize = kernelSize;
        _sums = new long[starts.Length];
        for (var i = 0; i < starts.Length; i++)
            foreach (var w in Kernel(i)) _sums[i] += w;
    }

    /// <summary>The first source index that output <paramref name="index"/> (relative to the run) reads.</summary>
    public int Start(int index) => _starts[index];

    /// <summary>One past the last source index it reads; non-decreasing along the run, as the starts are.</summary>
    public int End(int index) => _starts[index] + _counts[index];

    public ReadOnlySpan<int> Kernel(int index) => _fixed.AsSpan(index * _kernelSize, _counts[index]);

    /// <summary>The sum of the fixed-point weights (about <see cref="One"/>; rounding makes it differ a little).</summary>
    public long Sum(int index) => _sums[index];

    /// <summary>The sum of the weights that fall on source indices [from, to).</summary>
    public long SumOver(int index, int from, int to)
    {
        var start = _starts[index];
        var lo = Math.Max(from, start);
        var hi = Math.Min(to, End(index));
        long sum = 0;
        for (var i = lo; i < hi; i++) sum += _fixed[index * _kernelSize + i - start];
        return sum;
    }

    /// <summary>An axis whose size does not change: Pillow does not filter it, which weight 1.0 on the same index
    /// reproduces exactly ((p * 2^22 + 2^21) >> 22 = p).</summary>
    public static ResampleWeights Identity(int first, int count)
    {
        var starts = new int[count];
        for (var i = 0; i < count; i++) starts[i] = first + i;
        return new ResampleWeights(starts, Enumerable.Repeat(1, count).ToArray(), Enumerable.Repeat(One, count).ToArray(), 1);
    }

    /// <summary>Pillow's precompute_coeffs followed by normalize_coeffs_8bpc for the box [0, inSize), for output
    /// indices [first, first + count) of <paramref name="outSize"/>.</summary>
    public static ResampleWeights Compute(int inSize, int outSize, ResampleFilter filter, int first, int count)
    {
        var kernel = ResampleKernels.Kernel(filter);
        // Pillow receives the box edges as C floats and subtracts them in float.
        double scale = (float)inSize - 0f;
        scale /= outSize;
        var filterScale = Math.Max(scale, 1.0);
        var support = ResampleKernels.Support(filter) * filterScale;
        var kernelSize = (long)Math.Ceiling(support) * 2 + 1;
        if (count * kernelSize > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(count), $"resizing {inSize} to {outSize} needs {count} x {kernelSize} coefficients, too many");

        var starts = new int[count];
        var counts = new int[count];
        var fixedWeights = new int[count * kernelSize];
        var weights = new double[kernelSize];
        var inverseScale = 1.0 / filterScale;
        for (var j = 0; j < count; j++)
        {
            var o = first + j;
            var center = 0f + (o + 0.5) * scale;
            var min = Math.Max((int)(center - support + 0.5), 0);
            var max = Math.Min((int)(center + support + 0.5), inSize);
            var taps = max - min;
            var total = 0.0;
            for (var i = 0; i < taps; i++)
            {
                weights[i] = kernel((i + min - center + 0.5) * inverseScale);
                total += weights[i];
            }
            for (var i = 0; i < taps; i++)
            {
                var w = total != 0.0 ? weights[i] / total : weights[i];
                fixedWeights[j * kernelSize + i] = w < 0 ? (int)(-0.5 + w * One) : (int)(0.5 + w * One);
            }
            starts[j] = min;
            counts[j] = taps;
        }
        return new ResampleWeights(starts, counts, fixedWeights, (int)kernelSize);
    }
}
