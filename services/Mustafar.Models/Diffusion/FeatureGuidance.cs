using System.Numerics;
using Mustafar.Tensors;
using Mustafar.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Mustafar.Models.Diffusion;

/// <summary>The paper's feature guidance (<see cref="FeatureGuidanceRule"/>), applied to the tapped activations (not
/// to the noise prediction), computed in float32 and returned in the inputs' dtype.</summary>
public static class FeatureGuidance
{
    public static Tensor Combine(Tensor conditional, Tensor unconditional, float scale)
    {
        using var scope = NewDisposeScope();
        var guided = FeatureGuidanceRule.Apply(new Operand(unconditional.to(float32)), new Operand(conditional.to(float32)), scale);
        return guided.Value.to(unconditional.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>A tensor as an operand of the shared rule; the scalar product goes through
    /// <see cref="ScalarSafeOps"/> (no temporary Scalar).</summary>
    private readonly struct Operand(Tensor value) :
        IAdditionOperators<Operand, Operand, Operand>, ISubtractionOperators<Operand, Operand, Operand>, IMultiplyOperators<Operand, float, Operand>
    {
        public Tensor Value => value;

        public static Operand operator +(Operand left, Operand right) => new(left.Value.Add(right.Value));
        public static Operand operator -(Operand left, Operand right) => new(left.Value - right.Value);
        public static Operand operator *(Operand left, float right) => new(left.Value.Mul(right));
    }
}
