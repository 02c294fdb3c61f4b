using Mustafar.Models.Checkpoints;
using Mustafar.Models.Clip;
using Mustafar.Models.Diffusion.UNet;
using Mustafar.Models.Diffusion.Vae;
using Mustafar.Models.Generation;
using Mustafar.Models.KernelChecks;
using Mustafar.Testing;
using Mustafar.Torch;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Mustafar.Models.Tests.KernelChecks;

/// <summary>The start-up kernel self-check: on the fixture models every kernel kind is found and passes on this
/// machine; probes with known faults show how it decides (route around, or fail naming op, shape, device, error).</summary>
public sealed class KernelSelfCheckTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void The_fixture_models_pass_and_every_kernel_kind_is_checked_once_per_shape()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var (unet, _) = UNetLoader.Load(ReferenceFixtures.Require("unet"), CPU, float32);
        var (vae, _) = VaeEncoderLoader.Load(ReferenceFixtures.Require("vae"), CPU, float32);
        var (llava, _) = GeneratorWeights.Load(ReferenceFixtures.Require("llava"), CPU, ScalarType.Float32);
        using var clip = ClipVisionEncoder.Load(ReferenceFixtures.Require("clip_vision"));
        using (unet)
        using (vae)
        using (llava)
        {
            var report = KernelSelfChecker.Run([unet, vae, llava, .. clip.Modules], CPU, ScalarType.Float32);
            foreach (var result in report.Results) output.WriteLine(result.ToString());
            output.WriteLine(report.Summary);

            Assert.True(report.Passed, report.Summary);
            Assert.Equal(["conv2d", "group_norm", "layer_norm", "linear", "rms_norm", "sdpa"], report.Results.Select(r => r.Op).Distinct().Order());
            Assert.Equal(report.Results.Count, report.Results.Select(r => $"{r.Op} {r.Shape}").Distinct().Count());
            Assert.All(report.Results, r => Assert.Equal(("cpu", "float32"), (r.Device, r.DType)));
            // Every convolution geometry of the U-Net is probed: each distinct input-channel count appears.
            var unetChannels = unet.modules().OfType<Mustafar.Models.Common.RoutedConv2d>().Select(c => c.InChannels).Distinct();
            Assert.All(unetChannels, c => Assert.Contains(report.Results, r => r.Op == "conv2d" && r.Shape.StartsWith($"in={c} ", StringComparison.Ordinal)));
        }
    }

    [Fact]
    public void A_wrong_route_with_a_right_alternative_is_routed_around()
    {
        var enabled = false;
        var report = Check(Probe(actualError: 0.8, new KernelRoute("channels-last", () => Exact(), () => enabled = true)));
        var result = Assert.Single(report.Results);
        Assert.Equal(KernelCheckVerdict.WorkaroundEnabled, result.Outcome);
        Assert.True(enabled);
        Assert.True(report.Passed);
        Assert.Contains("WRONG", result.Detail, StringComparison.Ordinal);
        Assert.Contains("channels-last", result.Detail, StringComparison.Ordinal);
        Assert.True(result.MaxError < result.Tolerance);
    }

    [Fact]
    public void A_wrong_kernel_with_no_right_route_fails_naming_op_shape_device_and_error()
    {
        var report = Check(Probe(actualError: 0.8, new KernelRoute("channels-last", () => Exact().Add(0.5), () => { })));
        var result = Assert.Single(report.Results);
        Assert.Equal(KernelCheckVerdict.Failed, result.Outcome);
        Assert.False(report.Passed);
        var text = result.ToString();
        foreach (var part in new[] { "conv2d", "in=24 out=16", "cpu", "float32", "8.00E-001", "channels-last: 5.00E-001" })
            Assert.Contains(part, text, StringComparison.Ordinal);
    }

    [Fact]
    public void NaN_from_the_kernel_fails_and_a_right_route_is_not_needed_for_a_pass()
    {
        var nan = Check(new KernelProbe("linear", "in=8 out=8/8", () => Exact().Div(0.0).Mul(0.0), Exact, []));
        Assert.Equal(KernelCheckVerdict.Failed, Assert.Single(nan.Results).Outcome);
        Assert.Contains("NaN", nan.Results[0].Detail, StringComparison.Ordinal);

        var passed = Check(Probe(actualError: 1e-7, new KernelRoute("direct", () => Exact().Add(1.0), () => throw new InvalidOperationException("not taken")))
            with { ReportAlternatives = true });
        var result = Assert.Single(passed.Results);
        Assert.Equal(KernelCheckVerdict.Passed, result.Outcome);
        Assert.Contains("the direct route is wrong here", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Weights_that_are_not_finite_fail_as_a_bad_checkpoint()
    {
        var report = Check(new KernelProbe("linear", "in=8 out=8/8", Exact, () => Exact().Div(0.0), []));
        Assert.Contains("weights hold NaN or Inf", Assert.Single(report.Results).Detail, StringComparison.Ordinal);
    }

    private static Tensor Exact() => arange(16, dtype: float64).reshape(2, 8).Div(16.0);

    private static KernelProbe Probe(double actualError, params KernelRoute[] alternatives) =>
        new("conv2d", "in=24 out=16/24 kernel=3x3 input=[2,24,8,8] route=direct", () => Exact().Add(actualError), Exact, alternatives);

    private static KernelCheckReport Check(KernelProbe probe)
    {
        using var scope = NewDisposeScope();
        return KernelSelfChecker.Run([probe], CPU, ScalarType.Float32, System.Diagnostics.Stopwatch.GetTimestamp());
    }
}
