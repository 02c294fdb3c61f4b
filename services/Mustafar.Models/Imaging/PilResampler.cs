namespace Mustafar.Models.Imaging;

/// <summary>
/// Pillow's <c>Image.resize(size, filter)</c> on 8-bit RGB (reducing_gap=None, the whole image as the box),
/// reproduced bit for bit. CLIP and LLaVA preprocess with it, and a model's inputs differ by whole uint8 steps
/// (1/255/std ≈ 0.015 after normalisation) wherever a resize rounds differently, so "close" is not enough.
/// What makes it exact: the support grows with the downscale factor (antialiasing); each output pixel's weights
/// are normalised in double, converted to 22-bit fixed point, accumulated as integers from a half-unit start,
/// shifted and clamped to uint8; the horizontal pass runs first and its uint8 result feeds the vertical pass. A
/// dimension whose size does not change is not filtered.
/// <para>Work and memory are bounded by the output, not by the input's shape: only a window of the output is
/// computed (a centre crop never resizes the columns it throws away), a padded canvas is never drawn (its
/// background rows all give the same horizontal result, computed once, and only image pixels are read), and the
/// vertical pass adds each horizontal row into the output sums as soon as it is made, so no intermediate image
/// exists. Integer sums are associative, so splitting them this way changes no result.</para>
/// </summary>
internal static class PilResampler
{
    private const int Half = 1 << (ResampleWeights.PrecisionBits - 1);
    private const int C = RgbImage.Channels;

    public static RgbImage Resize(RgbImage source, int width, int height, ResampleFilter filter) =>
        Resize(PaddedImage.Plain(source), width, height, PixelWindow.Whole(width, height), filter);

    /// <summary>The <paramref name="window"/> of <paramref name="source"/>'s canvas resized to
    /// <paramref name="width"/> x <paramref name="height"/>, equal to that part of the full resize.</summary>
    public static RgbImage Resize(PaddedImage source, int width, int height, PixelWindow window, ResampleFilter filter)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        window.CheckInside(width, height);
        var columns = width != source.CanvasWidth
            ? ResampleWeights.Compute(source.CanvasWidth, width, filter, window.Left, window.Width)
            : ResampleWeights.Identity(window.Left, window.Width);
        var rows = height != source.CanvasHeight
            ? ResampleWeights.Compute(source.CanvasHeight, height, filter, window.Top, window.Height)
            : ResampleWeights.Identity(window.Top, window.Height);
        return new Pass(source, columns).Vertical(rows);
    }

    private static byte Clip8(long sum) => (byte)Math.Clamp(sum >> ResampleWeights.PrecisionBits, 0, 255);

    /// <summary>The horizontal pass over one canvas, row by row.</summary>
    private sealed class Pass
    {
        private readonly PaddedImage _source;
        private readonly ResampleWeights _columns;
        private readonly int _rowBytes;

        /// <summary>The horizontal result of a row of background only.</summary>
        private readonly byte[] _backgroundRow;

        public Pass(PaddedImage source, ResampleWeights columns)
        {
            (_source, _columns) = (source, columns);
            _rowBytes = checked(columns.Count * C);
            _backgroundRow = new byte[_rowBytes];
            Span<byte> background = [source.Background.R, source.Background.G, source.Background.B];
            for (var x = 0; x < columns.Count; x++)
                for (var c = 0; c < C; c++)
                    _backgroundRow[x * C + c] = Clip8(Half + columns.Sum(x) * background[c]);
        }

        /// <summary>Each output row is Half + sum of (row weight x horizontal row); the background rows' share is
        /// their total weight times the one background row, and each image row is made once and added to the
        /// (few) output rows that read it.</summary>
        public RgbImage Vertical(ResampleWeights rows)
        {
            var sums = new long[checked(rows.Count * _rowBytes)];
            var imageTop = _source.Top;
            var imageBottom = _source.Top + _source.Image.Height;
            for (var o = 0; o < rows.Count; o++)
            {
                var backgroundWeight = rows.Sum(o) - rows.SumOver(o, imageTop, imageBottom);
                var sum = sums.AsSpan(o * _rowBytes, _rowBytes);
                for (var j = 0; j < _rowBytes; j++) sum[j] = Half + backgroundWeight * _backgroundRow[j];
            }

            var row = new byte[_rowBytes];
            var (first, last) = (Math.Max(imageTop, rows.Start(0)), Math.Min(imageBottom, rows.End(rows.Count - 1)));
            int lo = 0, hi = 0;
            for (var y = first; y < last; y++)
            {
                // The outputs that read row y form a run [lo, hi): starts and ends both grow along the outputs.
                while (lo < rows.Count && rows.End(lo) <= y) lo++;
                while (hi < rows.Count && rows.Start(hi) <= y) hi++;
                if (lo >= hi) continue;
                Horizontal(y, row);
                for (var o = lo; o < hi; o++)
                {
                    long weight = rows.Kernel(o)[y - rows.Start(o)];
                    if (weight == 0) continue;
                    var sum = sums.AsSpan(o * _rowBytes, _rowBytes);
                    for (var j = 0; j < _rowBytes; j++) sum[j] += weight * row[j];
                }
            }

            var output = new RgbImage(_columns.Count, rows.Count, new byte[sums.Length]);
            for (var i = 0; i < sums.Length; i++) output.Pixels[i] = Clip8(sums[i]);
            return output;
        }

        /// <summary>The horizontal result of canvas row <paramref name="y"/>, which holds image pixels: columns
        /// whose support misses the image are background; the others add the image pixels they cover and the
        /// background times the weight left over.</summary>
        private void Horizontal(int y, Span<byte> output)
        {
            _backgroundRow.CopyTo(output);
            ReadOnlySpan<byte> input = _source.Image.Row(y - _source.Top);
            var imageLeft = _source.Left;
            var imageRight = _source.Left + _source.Image.Width;
            var background = _source.Background;
            for (var x = 0; x < _columns.Count; x++)
            {
                var start = _columns.Start(x);
                var from = Math.Max(start, imageLeft);
                var to = Math.Min(_columns.End(x), imageRight);
                if (from >= to) continue;
                var k = _columns.Kernel(x);
                long r = Half, g = Half, b = Half, inside = 0;
                for (var i = from; i < to; i++)
                {
                    long w = k[i - start];
                    var p = (i - imageLeft) * C;
                    r += input[p] * w;
                    g += input[p + 1] * w;
                    b += input[p + 2] * w;
                    inside += w;
                }
                var outside = _columns.Sum(x) - inside;
                output[x * C] = Clip8(r + outside * background.R);
                output[x * C + 1] = Clip8(g + outside * background.G);
                output[x * C + 2] = Clip8(b + outside * background.B);
            }
        }
    }
}
