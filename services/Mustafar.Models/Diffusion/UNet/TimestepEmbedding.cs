using Mustafar.Models.Common;
using Mustafar.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mustafar.Models.Diffusion.UNet;

/// <summary>diffusers' Timesteps + TimestepEmbedding: the sinusoidal projection of t (float32, cos first with
/// flip_sin_to_cos, frequencies exp(-ln(10000) i / (half - freq_shift))), then linear_1, act, linear_2.</summary>
internal sealed class TimestepEmbedding : nn.Module<Tensor, Tensor>
{
    private readonly Linear linear_1;
    private readonly Linear linear_2;
    private readonly Func<Tensor, Tensor> _activation;
    private readonly long _projectionDim;
    private readonly bool _flipSinToCos;
    private readonly double _freqShift;

    public TimestepEmbedding(long projectionDim, long embedDim, UNet2DConditionConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(TimestepEmbedding))
    {
        linear_1 = nn.Linear(projectionDim, embedDim, device: device, dtype: dtype);
        linear_2 = nn.Linear(embedDim, embedDim, device: device, dtype: dtype);
        _activation = Activations.Get(config.ActFn);
        _projectionDim = projectionDim;
        _flipSinToCos = config.FlipSinToCos;
        _freqShift = config.FreqShift;
        RegisterComponents();
    }

    /// <param name="timesteps">[batch] timesteps (any numeric dtype).</param>
    /// <returns>[batch, time_embed_dim] in the module's dtype.</returns>
    public override Tensor forward(Tensor timesteps)
    {
        using var scope = NewDisposeScope();
        var projected = Sinusoidal(timesteps, _projectionDim, _flipSinToCos, _freqShift).to(linear_1.weight!.dtype);
        return linear_2.forward(_activation(linear_1.forward(projected))).MoveToOuterDisposeScope();
    }

    /// <summary>diffusers' get_timestep_embedding (scale 1, max_period 10000), in float32.</summary>
    public static Tensor Sinusoidal(Tensor timesteps, long dim, bool flipSinToCos, double freqShift)
    {
        using var scope = NewDisposeScope();
        var half = dim / 2;
        var exponent = ScalarSafeOps.Arange(0, half, dtype: float32, device: timesteps.device).Mul(-Math.Log(10000.0));
        var frequencies = exponent.Div(half - freqShift).exp();
        var angles = timesteps.to(float32).unsqueeze(1) * frequencies.unsqueeze(0);
        var embedding = flipSinToCos ? cat([angles.cos(), angles.sin()], -1) : cat([angles.sin(), angles.cos()], -1);
        if (dim % 2 == 1) embedding = nn.functional.pad(embedding, [0, 1, 0, 0]);
        return embedding.MoveToOuterDisposeScope();
    }
}
