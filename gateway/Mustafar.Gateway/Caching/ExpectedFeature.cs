using System.Globalization;
using Mustafar.Tensors;
using Mustafar.Tensors.V1;

namespace Mustafar.Gateway.Caching;

/// <summary>
/// What a feature value must be to be used: the generator's [tokens, channels] and the dtype it was asked in. It is
/// part of the cache key, so encoders or generators of other sizes never share values, and a value read from Redis
/// is checked against it: a well-formed value of another shape (written by a buggy or foreign writer) must read as
/// a miss, never be served to every request for that image until its TTL runs out.
/// </summary>
public sealed record ExpectedFeature(int Tokens, int Channels, DType DType)
{
    public static ExpectedFeature Of(Generation.V1.FeatureSpec spec, DType dtype) => new(spec.Tokens, spec.Channels, dtype);

    public bool Accepts(Tensor tensor)
    {
        try
        {
            var view = TensorView.Open(tensor, "cached feature");
            return view.DType == DType && view.Rank == 2 && view.Shape[0] == Tokens && view.Shape[1] == Channels;
        }
        catch (InvalidInputException)
        {
            return false;
        }
    }

    /// <summary>The key segment that names this expectation.</summary>
    public string KeyPart => string.Create(CultureInfo.InvariantCulture, $"shape={Tokens}x{Channels}:dtype={DTypes.Name(DType)}");
}
