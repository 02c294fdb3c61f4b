namespace Mustafar.Tensors;

/// <summary>Bounds a received tensor must respect before anything allocates on its behalf.</summary>
/// <param name="MaxElements">Largest element count. The default (64 Mi) holds every real feature set with room:
/// CLIP-L/336 is 577 x 1024, an SD 2.1 16x16 tap 256 x 1280, a 32x32 tap 1024 x 640.</param>
/// <param name="MaxRank">Most dimensions a tensor may have.</param>
public sealed record TensorLimits(long MaxElements = 64L * 1024 * 1024, int MaxRank = 8)
{
    /// <summary>The limits used when a caller configures none.</summary>
    public static TensorLimits Default { get; } = new();
}
