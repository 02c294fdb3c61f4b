using static TorchSharp.torch;

namespace Mustafar.Models.Tests.Clip;

internal static class TensorAssert
{
    public static double MaxAbsDiff(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var scope = NewDisposeScope();
        return (expected.to(float64, CPU) - actual.to(float64, CPU)).abs().max().item<double>();
    }

    public static void Close(Tensor expected, Tensor actual, double tolerance, string what)
    {
        var diff = MaxAbsDiff(expected, actual);
        Assert.True(diff <= tolerance, $"{what}: max |diff| {diff:G4} > {tolerance}");
    }
}
