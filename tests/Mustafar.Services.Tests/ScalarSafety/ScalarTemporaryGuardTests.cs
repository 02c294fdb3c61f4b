using System.Reflection;
using Mustafar.CheckpointWriters;
using Mustafar.ClipEncoder;
using Mustafar.DiffusionEncoder;
using Mustafar.Generator;
using Mustafar.Models.Clip;
using Mustafar.Serving;
using Mustafar.Torch;
using static TorchSharp.torch;

namespace Mustafar.Services.Tests.ScalarSafety;

/// <summary>Keeps temporary TorchSharp Scalars out of the model and service code: every Scalar-taking op goes
/// through <see cref="ScalarSafeOps"/> (CONTRIBUTING.md, model code rules).</summary>
public class ScalarTemporaryGuardTests
{
    [Fact]
    public void Model_and_service_code_hands_libtorch_no_temporary_scalar()
    {
        Assembly[] assemblies =
        [
            typeof(ScalarSafeOps).Assembly, typeof(ClipVisionModel).Assembly, typeof(InferenceThread).Assembly,
            typeof(ClipEncoderService).Assembly, typeof(DiffusionEncoderService).Assembly, typeof(GeneratorService).Assembly,
            // The tiny checkpoint writers build real models too, in the tests' own processes.
            typeof(SafetensorsWriter).Assembly,
        ];
        var findings = ScalarTemporaryScanner.Scan(assemblies, typeof(ScalarSafeOps));
        Assert.True(findings.Count == 0,
            $"{findings.Count} calls can hand libtorch a Scalar that a GC may free mid-call; use Mustafar.Torch.ScalarSafeOps:\n" +
            string.Join("\n", findings));
    }

    [Theory]
    [InlineData(nameof(Hazards.TensorPlusTensor))]
    [InlineData(nameof(Hazards.TimesDouble))]
    [InlineData(nameof(Hazards.DoubleMinusTensor))]
    [InlineData(nameof(Hazards.AddWithDefaultAlpha))]
    [InlineData(nameof(Hazards.MaskedFillLiteral))]
    [InlineData(nameof(Hazards.PowInteger))]
    [InlineData(nameof(Hazards.FullFactory))]
    [InlineData(nameof(Hazards.ArangeFactory))]
    [InlineData(nameof(Hazards.CompareWithLiteral))]
    public void The_scanner_sees_each_hazardous_form(string method)
    {
        Assert.NotEmpty(ScalarTemporaryScanner.Scan(typeof(Hazards).GetMethod(method)!));
    }

    [Fact]
    public void The_scanner_passes_tensor_only_ops_and_the_safe_helpers()
    {
        Assert.Empty(ScalarTemporaryScanner.Scan(typeof(Hazards).GetMethod(nameof(Hazards.Safe))!));
    }

    // Never run: compiled only so that the scanner has each form to find.
    private static class Hazards
    {
        public static Tensor TensorPlusTensor(Tensor a, Tensor b) => a + b;
        public static Tensor TimesDouble(Tensor a) => a * 0.5;
        public static Tensor DoubleMinusTensor(Tensor a) => 1.0 - a;
        public static Tensor AddWithDefaultAlpha(Tensor a, Tensor b) => a.add(b);
        public static Tensor MaskedFillLiteral(Tensor a, Tensor mask) => a.masked_fill(mask, 1);
        public static Tensor PowInteger(Tensor a) => a.pow(2);
        public static Tensor FullFactory() => full(2, 2, 0.5);
        public static Tensor ArangeFactory() => arange(5);
        public static Tensor CompareWithLiteral(Tensor a) => a.lt(0);

        public static Tensor Safe(Tensor a, Tensor b) =>
            ((a - b) * b / a.Add(b).Mul(0.5).Pow(2).MaskedFill(b.Eq(0), 1) - ScalarSafeOps.Arange(2))
            .Add(ScalarSafeOps.Full([2], 0.5, ScalarType.Float32));
    }
}
