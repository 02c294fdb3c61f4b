using System.Numerics;

namespace Mustafar.Tensors;

/// <summary>
/// The paper's feature guidance, f = f_u + s (f_c - f_u), written once for every place that applies it: the gateway
/// (per element, over cached halves it combines itself) and the diffusion service (over torch tensors, in its guided
/// variant). Generic over the operand so that one formula serves a float and a tensor wrapper alike; the bound on s
/// is <see cref="GuidanceScale"/>.
/// </summary>
public static class FeatureGuidanceRule
{
    /// <summary>f_u + s (f_c - f_u): s = 0 gives the unconditional features, s = 1 the conditional ones.</summary>
    public static T Apply<T>(T unconditional, T conditional, float scale)
        where T : IAdditionOperators<T, T, T>, ISubtractionOperators<T, T, T>, IMultiplyOperators<T, float, T> =>
        unconditional + (conditional - unconditional) * scale;
}
