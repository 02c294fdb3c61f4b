namespace Mustafar.Models.Imaging;

/// <summary>
/// Pillow's <c>Image.resize(size, filter)</c> on 8-bit RGB (reducing_gap=None, the whole image as the box),
/// reproduced bit for bit. CLIP and LLaVA preprocess with it, and a model's inputs differ by whole uint8 steps
/// (1/255/std ≈ 0.015 after normalisation) wherever a resize rounds differently, so "close" is not enough.
/// What makes it exact: the support grows with the downscale factor (antialiasing); each output pixel's weights
/// are normalised in double, converted to 22-bit fixed point, accumulated in 32-bit integers from a half-unit
/// start, shifted and clamped to uint8; the horizontal pass runs first, over only the rows the vertical pass
/// reads, and its uint8 result feeds the vertical pass. A dimension whose size does not change is not filtered.
/// </summary>
public static class PilResampler
{
    /// <summary>Fraction bits of Pillow's fixed-point weights (32 - 8 - 2: 8 bits of pixel, 2 of headroom).</summary>
    private const int PrecisionBits = 32 - 8 - 2;
    private const int Half = 1 << (PrecisionBits - 1);

    public static RgbImage Resize(RgbImage source, int width, int height, ResampleFilter filter)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (width == source.Width && height == source.Height)
            return new RgbImage(width, height, (byte[])source.Pixels.Clone());

        var vertical = Weights.Compute(source.Height, height, filter);
        var image = source;
        if (width != source.Width)
        {
            // Only rows first..last-1 of the source contribute to any output row.
            var first = vertical.Start(0);
            var last = vertical.Start(height - 1) + vertical.Count(height - 1);
            image = Horizontal(source, Weights.Compute(source.Width, width, filter), first, last - first);
            vertical = vertical.ShiftedBy(-first);
        }
        return height != source.Height ? Vertical(image, vertical) : image;
    }

    private static RgbImage Horizontal(RgbImage source, Weights weights, int firstRow, int rows)
    {
        const int c = RgbImage.Channels;
        var output = new RgbImage(weights.OutSize, rows, new byte[weights.OutSize * rows * c]);
        for (var y = 0; y < rows; y++)
        {
            ReadOnlySpan<byte> input = source.Row(y + firstRow);
            var row = output.Row(y);
            for (var x = 0; x < weights.OutSize; x++)
            {
                var k = weights.Kernel(x);
                var start = weights.Start(x) * c;
                int r = Half, g = Half, b = Half;
                for (var i = 0; i < k.Length; i++)
                {
                    var p = start + i * c;
                    r += input[p] * k[i];
                    g += input[p + 1] * k[i];
                    b += input[p + 2] * k[i];
                }
                row[x * c] = Clip8(r);
                row[x * c + 1] = Clip8(g);
                row[x * c + 2] = Clip8(b);
            }
        }
        return output;
    }

    private static RgbImage Vertical(RgbImage source, Weights weights)
    {
        var rowBytes = source.Width * RgbImage.Channels;
        var output = new RgbImage(source.Width, weights.OutSize, new byte[rowBytes * weights.OutSize]);
        var sums = new int[rowBytes];
        for (var y = 0; y < weights.OutSize; y++)
        {
            sums.AsSpan().Fill(Half);
            var k = weights.Kernel(y);
            var start = weights.Start(y);
            // Integer sums: accumulating row by row gives the same result as Pillow's per-pixel loop.
            for (var i = 0; i < k.Length; i++)
            {
                ReadOnlySpan<byte> input = source.Row(start + i);
                var weight = k[i];
                for (var j = 0; j < rowBytes; j++) sums[j] += input[j] * weight;
            }
            var row = output.Row(y);
            for (var j = 0; j < rowBytes; j++) row[j] = Clip8(sums[j]);
        }
        return output;
    }

    private static byte Clip8(int sum) => (byte)Math.Clamp(sum >> PrecisionBits, 0, 255);

    /// <summary>For each output index along one axis: the first source index and the fixed-point weights.</summary>
    private sealed class Weights
    {
        private readonly int[] _starts;
        private readonly int[] _counts;
        private readonly int[] _fixed;
        private readonly int _kernelSize;

        public int OutSize => _starts.Length;

        private Weights(int[] starts, int[] counts, int[] fixedWeights, int kernelSize)
        {
            _starts = starts;
            _counts = counts;
            _fixed = fixedWeights;
            _kernelSize = kernelSize;
        }

        public int Start(int index) => _starts[index];
        public int Count(int index) => _counts[index];
        public ReadOnlySpan<int> Kernel(int index) => _fixed.AsSpan(index * _kernelSize, _counts[index]);

        public Weights ShiftedBy(int offset) => new(_starts.Select(s => s + offset).ToArray(), _counts, _fixed, _kernelSize);

        /// <summary>Pillow's precompute_coeffs followed by normalize_coeffs_8bpc, for the box [0, inSize).</summary>
        public static Weights Compute(int inSize, int outSize, ResampleFilter filter)
        {
            var kernel = ResampleKernels.Kernel(filter);
            // Pillow receives the box edges as C floats and subtracts them in float.
            double scale = (float)inSize - 0f;
            scale /= outSize;
            var filterScale = Math.Max(scale, 1.0);
            var support = ResampleKernels.Support(filter) * filterScale;
            var kernelSize = (int)Math.Ceiling(support) * 2 + 1;
            if ((long)outSize * kernelSize > int.MaxValue)
                throw new ArgumentOutOfRangeException(nameof(outSize), $"resizing {inSize} to {outSize} needs too many coefficients");

            var starts = new int[outSize];
            var counts = new int[outSize];
            var fixedWeights = new int[outSize * kernelSize];
            var weights = new double[kernelSize];
            var inverseScale = 1.0 / filterScale;
            for (var o = 0; o < outSize; o++)
            {
                var center = 0f + (o + 0.5) * scale;
                var min = Math.Max((int)(center - support + 0.5), 0);
                var max = Math.Min((int)(center + support + 0.5), inSize);
                var count = max - min;
                var total = 0.0;
                for (var i = 0; i < count; i++)
                {
                    weights[i] = kernel((i + min - center + 0.5) * inverseScale);
                    total += weights[i];
                }
                for (var i = 0; i < count; i++)
                {
                    var w = total != 0.0 ? weights[i] / total : weights[i];
                    fixedWeights[o * kernelSize + i] = w < 0
                        ? (int)(-0.5 + w * (1 << PrecisionBits))
                        : (int)(0.5 + w * (1 << PrecisionBits));
                }
                starts[o] = min;
                counts[o] = count;
            }
            return new Weights(starts, counts, fixedWeights, kernelSize);
        }
    }
}
