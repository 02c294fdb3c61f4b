using Mustafar.Models.Checkpoints;
using Mustafar.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Mustafar.Models.Diffusion.Scheduling;

/// <summary>
/// The DDPM forward process of a diffusers scheduler config: betas as the config says (computed in float32 as
/// diffusers does), alphas_cumprod, and <c>add_noise(x0, eps, t) = sqrt(acp[t]) x0 + sqrt(1 - acp[t]) eps</c>.
/// Every diffusers scheduler of Stable Diffusion (DDPM, PNDM, DDIM, ...) shares these training betas; the
/// feature extractor always noises with this DDPM formula, whatever sampler class the pipeline names.
/// </summary>
internal sealed class DdpmNoiseSchedule : IDisposable
{
    public int NumTrainTimesteps { get; }
    public string BetaSchedule { get; }

    /// <summary>float32 [num_train_timesteps] on the CPU.</summary>
    public Tensor Betas { get; }
    public Tensor Alphas { get; }
    public Tensor AlphasCumprod { get; }

    private DdpmNoiseSchedule(int steps, string schedule, Tensor betas)
    {
        NumTrainTimesteps = steps;
        BetaSchedule = schedule;
        Betas = betas;
        Alphas = betas.RSub(1.0).DetachFromDisposeScope();
        AlphasCumprod = Alphas.cumprod(0).DetachFromDisposeScope();
    }

    public static DdpmNoiseSchedule FromConfig(HfConfig config)
    {
        if (config.Bool("rescale_betas_zero_snr", false))
            throw new NotSupportedException($"{config.Source}: rescale_betas_zero_snr is not supported");
        var steps = config.Int("num_train_timesteps", 1000);
        if (steps < 1) throw new InvalidDataException($"{config.Source}: num_train_timesteps must be positive, not {steps}");
        // DDPMScheduler's defaults, for keys a config leaves out.
        var start = config.Double("beta_start", 0.0001);
        var end = config.Double("beta_end", 0.02);
        var schedule = config.String("beta_schedule", "linear")!;
        using var scope = NewDisposeScope();
        Tensor betas;
        if (config.Raw("trained_betas") is System.Text.Json.Nodes.JsonArray)
        {
            betas = tensor(config.DoubleArray("trained_betas", []), dtype: float32);
            if (betas.shape[0] != steps)
                throw new InvalidDataException($"{config.Source}: trained_betas has {betas.shape[0]} values for {steps} timesteps");
            schedule = "trained_betas";
        }
        else
        {
            betas = schedule switch
            {
                "linear" => linspace(start, end, steps, dtype: float32, device: CPU),
                "scaled_linear" => linspace(Math.Sqrt(start), Math.Sqrt(end), steps, dtype: float32, device: CPU).Pow(2),
                _ => throw new NotSupportedException(
                    $"{config.Source}: beta_schedule '{schedule}' is not supported (known: linear, scaled_linear, or trained_betas)"),
            };
        }
        return new DdpmNoiseSchedule(steps, schedule, betas.DetachFromDisposeScope());
    }

    public static DdpmNoiseSchedule Load(string path) => FromConfig(HfConfig.Load(path));

    /// <summary>Noises each row at its own timestep.</summary>
    /// <param name="original">x0 [batch, ...]</param>
    /// <param name="noise">eps, same shape</param>
    /// <param name="timesteps">int64 [batch], each in [0, <see cref="NumTrainTimesteps"/>)</param>
    public Tensor AddNoise(Tensor original, Tensor noise, Tensor timesteps)
    {
        using var scope = NewDisposeScope();
        var outOfRange = timesteps.Lt(0).logical_or(timesteps.Ge(NumTrainTimesteps)).any().item<bool>();
        if (outOfRange) throw new ArgumentOutOfRangeException(nameof(timesteps), $"timesteps must lie in [0, {NumTrainTimesteps})");
        var broadcast = Enumerable.Repeat(1L, (int)original.dim() - 1).Prepend(-1).ToArray();
        var cumprod = AlphasCumprod.to(original.device)[timesteps.to(original.device)];
        var sqrtAlpha = cumprod.Pow(0.5).to(original.dtype).view(broadcast);
        var sqrtOneMinus = cumprod.RSub(1.0).Pow(0.5).to(original.dtype).view(broadcast);
        return (sqrtAlpha * original).Add(sqrtOneMinus * noise).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        Betas.Dispose();
        Alphas.Dispose();
        AlphasCumprod.Dispose();
    }
}
