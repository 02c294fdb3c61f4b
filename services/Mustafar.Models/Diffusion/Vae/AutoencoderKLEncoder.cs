using Mustafar.Models.Common;
using Mustafar.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mustafar.Models.Diffusion.Vae;

/// <summary>The latent distribution the VAE encoder predicts (diffusers' DiagonalGaussianDistribution).</summary>
internal sealed record LatentDistribution(Tensor Mean, Tensor LogVar) : IDisposable
{
    /// <summary>exp(0.5 * logvar).</summary>
    public Tensor Std() => LogVar.Mul(0.5).exp();

    public void Dispose()
    {
        Mean.Dispose();
        LogVar.Dispose();
    }
}

/// <summary>
/// The encoder half of diffusers' AutoencoderKL: <c>encoder</c> then the 1x1 <c>quant_conv</c>, giving the latent
/// mean and the log-variance clamped to [-30, 20]. The decoder is not built; its weights are skipped on load.
/// </summary>
public sealed class AutoencoderKLEncoder : nn.Module<Tensor, Tensor>
{
    private readonly VaeEncoder encoder;
    private readonly RoutedConv2d? quant_conv;

    public AutoencoderKLConfig Config { get; }

    public AutoencoderKLEncoder(AutoencoderKLConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(AutoencoderKLEncoder))
    {
        Config = config;
        encoder = new VaeEncoder(config, device: device, dtype: dtype);
        if (config.UseQuantConv) quant_conv = new RoutedConv2d(2 * config.LatentChannels, 2 * config.LatentChannels, 1, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <summary>The moments [batch, 2 * latent_channels, h/f, w/f] for pixels [batch, 3, h, w] in [-1, 1].</summary>
    public override Tensor forward(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        var moments = encoder.forward(pixels);
        if (quant_conv is not null) moments = quant_conv.forward(moments);
        return moments.MoveToOuterDisposeScope();
    }

    internal LatentDistribution Encode(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        var moments = forward(pixels).chunk(2, dim: 1);
        var logVar = moments[1].Clamp(-30.0, 20.0);
        var (mean, clamped) = scope.MoveToOuter(moments[0].contiguous(), logVar);
        return new LatentDistribution(mean, clamped);
    }

    /// <summary>What Stable Diffusion feeds the U-Net: (latent - shift_factor) * scaling_factor, where the latent
    /// is the mean or a sample (mean + std * noise) drawn by the caller.</summary>
    public Tensor Scale(Tensor latent)
    {
        using var scope = NewDisposeScope();
        var shifted = Config.ShiftFactor is { } shift ? latent.Sub(shift) : latent;
        return shifted.Mul(Config.ScalingFactor).MoveToOuterDisposeScope();
    }
}
