using System.Globalization;
using Mustafar.Tensors;
using Mustafar.Contracts.Tensors.V1;

namespace Mustafar.Tensors.FeatureCaching;

/// <summary>
/// What a cached value must be to be used: its exact shape (a feature's [tokens, channels] as the generator takes
/// it; a VAE latent's [channels, size, size]) and the dtype it was asked in. It is part of the cache key, so models
/// of other sizes never share values, and a value read from Redis is checked against it: a well-formed value of
/// another shape (written by a buggy or foreign writer) must read as a miss, never be served to every request for
/// that image until its TTL runs out.
/// </summary>
public sealed class ExpectedFeature
{
    private readonly long[] _shape;

    public ExpectedFeature(DType dtype, params long[] shape) => (DType, _shape) = (dtype, shape.ToArray());

    /// <summary>A feature of [tokens, channels].</summary>
    public ExpectedFeature(int tokens, int channels, DType dtype) : this(dtype, tokens, channels) { }

    public DType DType { get; }

    public IReadOnlyList<long> Shape => _shape;

    public static ExpectedFeature Of(Contracts.Generation.V1.FeatureSpec spec, DType dtype) => new(spec.Tokens, spec.Channels, dtype);

    public bool Accepts(Tensor tensor)
    {
        try
        {
            var view = TensorView.Open(tensor, "cached feature");
            return view.DType == DType && view.Shape.SequenceEqual(_shape);
        }
        catch (InvalidInputException)
        {
            return false;
        }
    }

    /// <summary>The key segment that names this expectation.</summary>
    public string KeyPart => string.Create(CultureInfo.InvariantCulture, $"shape={string.Join('x', _shape)}:dtype={DTypes.Name(DType)}");
}
