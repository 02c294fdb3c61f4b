namespace Mustafar.Serving.Tests.Host;

/// <summary>Compares floats within an absolute tolerance (batched and single-row matmuls may round differently).</summary>
public sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
{
    public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;

    public int GetHashCode(float obj) => 0;
}
