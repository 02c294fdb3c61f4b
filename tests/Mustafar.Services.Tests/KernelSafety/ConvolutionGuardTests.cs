using System.Reflection;
using Mustafar.Models.Clip;
using Mustafar.Services.Tests.ScalarSafety;
using TorchSharp;

namespace Mustafar.Services.Tests.KernelSafety;

/// <summary>Keeps every convolution of the model code on <c>RoutedConv2d</c>, which routes around the libtorch
/// convolution defect (Mustafar.Torch.ConvolutionRouting): a direct call into libtorch's convolutions would bypass it.</summary>
public class ConvolutionGuardTests
{
    /// <summary>The routed layer is an internal building block of Mustafar.Models: found by name, so a rename fails here.</summary>
    private static readonly Type RoutedLayer =
        typeof(ClipVisionModel).Assembly.GetType("Mustafar.Models.Common.RoutedConv2d", throwOnError: true)!;

    [Fact]
    public void Model_code_convolves_only_through_the_routed_layer()
    {
        var findings = ScalarTemporaryScanner.FindCalls([typeof(ClipVisionModel).Assembly], RoutedLayer, IsLibtorchConvolution);
        Assert.True(findings.Count == 0,
            $"{findings.Count} calls convolve without Mustafar.Models.Common.RoutedConv2d:\n" + string.Join("\n", findings));
    }

    [Fact]
    public void The_guard_sees_a_direct_convolution()
    {
        var findings = ScalarTemporaryScanner.FindCalls([typeof(ConvolutionGuardTests).Assembly], RoutedLayer, IsLibtorchConvolution);
        Assert.Contains(findings, f => f.Contains($"{nameof(Hazards)}.{nameof(Hazards.Direct)}", StringComparison.Ordinal));
    }

    /// <summary>TorchSharp's convolution modules and functions (nn.Conv1d/2d/3d, functional.conv*), transposed too.</summary>
    private static bool IsLibtorchConvolution(MethodBase callee) =>
        callee.DeclaringType?.Assembly == typeof(torch).Assembly &&
        callee.Name.StartsWith("conv", StringComparison.OrdinalIgnoreCase) &&
        !callee.Name.StartsWith("convert", StringComparison.OrdinalIgnoreCase);

    // Never run: compiled only so that the guard has a direct convolution to find.
    private static class Hazards
    {
        public static torch.Tensor Direct(torch.Tensor input, torch.Tensor weight) => torch.nn.functional.conv2d(input, weight);
    }
}
