using Mustafar.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Mustafar.Models.Diffusion;

/// <summary>The paper's feature guidance, applied to the tapped activations (not to the noise prediction):
/// f = f_u + s (f_c - f_u), computed in float32 and returned in the inputs' dtype.</summary>
public static class FeatureGuidance
{
    public static Tensor Combine(Tensor conditional, Tensor unconditional, double scale)
    {
        using var scope = NewDisposeScope();
        var u = unconditional.to(float32);
        var guided = u.Add((conditional.to(float32) - u).Mul(scale));
        return guided.to(unconditional.dtype).MoveToOuterDisposeScope();
    }
}
