using Mustafar.Tensors;
using Mustafar.Contracts.Tensors.V1;

namespace Mustafar.Gateway.Pipeline;

/// <summary>
/// Feature guidance over the two cached diffusion halves (<see cref="FeatureGuidanceRule"/>), computed in float32 from
/// the raw FP32/FP16/BF16 bytes and returned in the dtype the generator expects. Doing it here (rather than asking
/// the encoder for the GUIDED variant) lets the unconditional half be cached once per image and shared by every
/// question and every guidance scale.
/// </summary>
public static class FeatureGuidance
{
    public static Tensor Combine(Tensor unconditional, Tensor conditional, float scale, DType outputDType)
    {
        var u = TensorView.Open(unconditional, "diffusion.unconditional");
        var c = TensorView.Open(conditional, "diffusion.conditional");
        if (!u.Shape.SequenceEqual(c.Shape))
            throw new GatewayException(ErrorKind.BadUpstream,
                $"the diffusion halves disagree in shape: unconditional [{string.Join(", ", u.Shape)}], conditional [{string.Join(", ", c.Shape)}]");

        var fu = u.ToFloat32Array();
        var fc = c.ToFloat32Array();
        for (var i = 0; i < fu.Length; i++) fu[i] = FeatureGuidanceRule.Apply(fu[i], fc[i], scale);
        return TensorCodec.FromFloat32(fu, u.Shape.ToArray(), outputDType);
    }

    /// <summary>A single half in the generator's dtype (a no-op when it already is).</summary>
    public static Tensor Convert(Tensor tensor, DType outputDType)
    {
        if (tensor.Dtype == outputDType) return tensor;
        var view = TensorView.Open(tensor, "diffusion");
        return TensorCodec.FromFloat32(view.ToFloat32Array(), view.Shape.ToArray(), outputDType);
    }
}
