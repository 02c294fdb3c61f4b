using Mustafar.Gateway.Pipeline;
using Mustafar.Tensors;
using Mustafar.Contracts.Tensors.V1;

namespace Mustafar.Gateway.Tests.Units;

public sealed class FeatureGuidanceTests
{
    private static readonly float[] U = [0.5f, -1.25f, 2f, 0f, 3f, -0.75f];
    private static readonly float[] C = [1.5f, -1f, 1f, 0.25f, 3f, 0.75f];

    private static float[] Expected(float s) => U.Select((u, i) => u + s * (C[i] - u)).ToArray();

    [Theory]
    [InlineData(0f)]
    [InlineData(1f)]
    [InlineData(2.5f)]
    public void Float32_halves_combine_exactly(float scale)
    {
        var result = FeatureGuidance.Combine(TensorCodec.FromFloat32(U, [2, 3], DType.Float32), TensorCodec.FromFloat32(C, [2, 3], DType.Float32), scale, DType.Float32);
        Assert.Equal(new long[] { 2, 3 }, result.Shape);
        Assert.Equal(Expected(scale), TensorView.Open(result, "f").ToFloat32Array());
    }

    [Theory]
    [InlineData(DType.Float16, DType.Float16)]
    [InlineData(DType.Bfloat16, DType.Bfloat16)]
    [InlineData(DType.Float16, DType.Float32)]
    [InlineData(DType.Float32, DType.Bfloat16)]
    public void Half_precision_halves_combine_in_float32_and_come_out_in_the_generators_dtype(DType input, DType output)
    {
        var result = FeatureGuidance.Combine(TensorCodec.FromFloat32(U, [2, 3], input), TensorCodec.FromFloat32(C, [2, 3], input), 1.5f, output);
        Assert.Equal(output, result.Dtype);
        var values = TensorView.Open(result, "f").ToFloat32Array();
        // These inputs are exact in every dtype, so only the output rounding remains.
        var tolerance = output == DType.Bfloat16 ? 1e-2f : output == DType.Float16 ? 2e-3f : 0f;
        foreach (var (actual, expected) in values.Zip(Expected(1.5f))) Assert.InRange(actual, expected - tolerance * Math.Abs(expected) - 1e-6f, expected + tolerance * Math.Abs(expected) + 1e-6f);
    }

    [Fact]
    public void Halves_of_different_shapes_are_an_upstream_error()
    {
        var error = Assert.Throws<GatewayException>(() => FeatureGuidance.Combine(
            TensorCodec.FromFloat32(U, [2, 3], DType.Float32), TensorCodec.FromFloat32(C, [3, 2], DType.Float32), 1f, DType.Float32));
        Assert.Equal(ErrorKind.BadUpstream, error.Kind);
    }
}
