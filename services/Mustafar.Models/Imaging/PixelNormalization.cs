namespace Mustafar.Models.Imaging;

/// <summary>
/// uint8 pixels to model input, as transformers' image processors compute it: <c>x * rescale_factor</c> in float64
/// cast to float32, then <c>(x - mean) / std</c> in float32, laid out channel-first. CLIP uses 1/255 and the
/// OpenAI mean/std; Stable Diffusion's [-1, 1] range is rescale 1/255 with mean 0.5 and std 0.5.
/// </summary>
public sealed record PixelNormalization
{
    /// <summary>Applied first; null leaves 0..255 values.</summary>
    public double? RescaleFactor { get; init; }

    /// <summary>Per-channel (R, G, B) mean and standard deviation; both null to skip normalising.</summary>
    public IReadOnlyList<float>? Mean { get; init; }
    public IReadOnlyList<float>? Std { get; init; }

    public PixelNormalization(double? rescaleFactor, IReadOnlyList<float>? mean, IReadOnlyList<float>? std)
    {
        if ((mean is null) != (std is null)) throw new ArgumentException("mean and std must be given together");
        if (mean is not null && (mean.Count != RgbImage.Channels || std!.Count != RgbImage.Channels))
            throw new ArgumentException($"mean and std need {RgbImage.Channels} values (R, G, B), not {mean.Count} and {std!.Count}");
        if (std is not null && std.Any(s => s == 0f)) throw new ArgumentException("std must not contain 0");
        RescaleFactor = rescaleFactor;
        Mean = mean;
        Std = std;
    }

    /// <summary>Writes the image as float32 CHW [3, H, W] into <paramref name="destination"/>.</summary>
    public void ToChw(RgbImage image, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        var plane = image.Width * image.Height;
        if (destination.Length != plane * RgbImage.Channels)
            throw new ArgumentException($"destination holds {destination.Length} floats, the image needs {plane * RgbImage.Channels}", nameof(destination));
        var pixels = image.Pixels;
        for (var c = 0; c < RgbImage.Channels; c++)
        {
            var channel = destination.Slice(c * plane, plane);
            var (mean, std) = Mean is null ? (0f, 1f) : (Mean[c], Std![c]);
            for (var i = 0; i < plane; i++)
            {
                var value = RescaleFactor is { } factor ? (float)(pixels[i * RgbImage.Channels + c] * factor) : pixels[i * RgbImage.Channels + c];
                channel[i] = Mean is null ? value : (value - mean) / std;
            }
        }
    }

    /// <summary>The image as a new float32 CHW array.</summary>
    public float[] ToChw(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var result = new float[image.Width * image.Height * RgbImage.Channels];
        ToChw(image, result);
        return result;
    }
}
