namespace Mustafar.Models.Imaging;

/// <summary>
/// The convolution filters of Pillow's <c>Image.resize</c>, numbered as <c>PIL.Image.Resampling</c> (the numbers
/// stored as <c>resample</c> in <c>preprocessor_config.json</c>). NEAREST (0) is not a convolution in Pillow (it
/// goes through an affine transform) and is not offered.
/// </summary>
public enum ResampleFilter
{
    Lanczos = 1,
    Bilinear = 2,
    Bicubic = 3,
    Box = 4,
    Hamming = 5,
}

/// <summary>Pillow's filter kernels (src/libImaging/Resample.c), evaluated in double precision exactly as there,
/// because the fixed-point coefficients derived from them decide the rounding of every output pixel.</summary>
internal static class ResampleKernels
{
    /// <summary>Half-width of the kernel at scale 1, in source pixels.</summary>
    public static double Support(ResampleFilter filter) => filter switch
    {
        ResampleFilter.Box => 0.5,
        ResampleFilter.Bilinear or ResampleFilter.Hamming => 1.0,
        ResampleFilter.Bicubic => 2.0,
        ResampleFilter.Lanczos => 3.0,
        _ => throw new ArgumentOutOfRangeException(nameof(filter), filter, "not a resampling filter"),
    };

    public static Func<double, double> Kernel(ResampleFilter filter) => filter switch
    {
        ResampleFilter.Box => Box,
        ResampleFilter.Bilinear => Bilinear,
        ResampleFilter.Hamming => Hamming,
        ResampleFilter.Bicubic => Bicubic,
        ResampleFilter.Lanczos => Lanczos,
        _ => throw new ArgumentOutOfRangeException(nameof(filter), filter, "not a resampling filter"),
    };

    private static double Box(double x) => x > -0.5 && x <= 0.5 ? 1.0 : 0.0;

    private static double Bilinear(double x)
    {
        x = Math.Abs(x);
        return x < 1.0 ? 1.0 - x : 0.0;
    }

    private static double Hamming(double x)
    {
        x = Math.Abs(x);
        if (x == 0.0) return 1.0;
        if (x >= 1.0) return 0.0;
        x *= Math.PI;
        // Pillow writes these constants as C floats (0.54f, 0.46f), so they carry float rounding.
        return Math.Sin(x) / x * (0.54f + 0.46f * Math.Cos(x));
    }

    /// <summary>Keys' cubic convolution with a = -0.5, Pillow's BICUBIC.</summary>
    private static double Bicubic(double x)
    {
        const double a = -0.5;
        x = Math.Abs(x);
        if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
        return 0.0;
    }

    private static double Sinc(double x)
    {
        if (x == 0.0) return 1.0;
        x *= Math.PI;
        return Math.Sin(x) / x;
    }

    private static double Lanczos(double x) => -3.0 <= x && x < 3.0 ? Sinc(x) * Sinc(x / 3) : 0.0;
}
