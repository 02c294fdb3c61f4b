using Mustafar.Models.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Mustafar.Models.Tests.Diffusion;

/// <summary>Reads a fixture's inputs/outputs safetensors and compares tensors with a reported residual.</summary>
internal static class FixtureTensors
{
    /// <summary>Every tensor of <c>{folder}/{file}</c>, in the caller's dispose scope.</summary>
    public static Dictionary<string, Tensor> Read(string folder, string file)
    {
        using var safetensors = new SafetensorsFile(Path.Combine(folder, file));
        return safetensors.Entries.Values.ToDictionary(e => e.Name, safetensors.Read, StringComparer.Ordinal);
    }

    public static double MaxAbsDiff(Tensor expected, Tensor actual)
    {
        using var scope = NewDisposeScope();
        Assert.Equal(expected.shape, actual.shape);
        return (expected.to(float64, CPU) - actual.to(float64, CPU)).abs().max().item<double>();
    }

    /// <summary>Asserts |expected - actual| &lt;= tolerance everywhere and returns the largest difference.</summary>
    public static double AssertClose(Tensor expected, Tensor actual, double tolerance, string what)
    {
        var diff = MaxAbsDiff(expected, actual);
        Assert.True(diff <= tolerance, $"{what}: max |diff| {diff:E3} > {tolerance:E1}");
        return diff;
    }
}
