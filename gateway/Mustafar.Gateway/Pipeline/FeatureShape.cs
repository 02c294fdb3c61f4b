using Mustafar.Contracts.Generation.V1;
using Mustafar.Tensors;
using Mustafar.Contracts.Tensors.V1;

namespace Mustafar.Gateway.Pipeline;

/// <summary>Checks features against what the generator says it expects, before they travel to it: a mismatch is a
/// deployment error (encoder and generator models that do not belong together) and is reported as such.</summary>
public static class FeatureShape
{
    public static Tensor Expect(Tensor tensor, FeatureSpec spec, DType dtype)
    {
        TensorView view;
        try
        {
            view = TensorView.Open(tensor, spec.Name);
        }
        catch (InvalidInputException error)
        {
            throw new GatewayException(ErrorKind.BadUpstream, $"the {spec.Source} encoder returned a malformed tensor: {error.Message}");
        }
        if (!DTypes.IsFeatureDType(view.DType) || view.Rank != 2 || view.Shape[0] != spec.Tokens || view.Shape[1] != spec.Channels)
            throw new GatewayException(ErrorKind.BadUpstream,
                $"the {spec.Source} encoder returned {DTypes.Name(view.DType)} [{string.Join(", ", view.Shape)}] for feature '{spec.Name}', " +
                $"but the generator expects [{spec.Tokens}, {spec.Channels}]; the encoder and generator models do not belong together");
        return FeatureGuidance.Convert(tensor, dtype);
    }
}
