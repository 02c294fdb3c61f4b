using Mustafar.Tensors;

namespace Mustafar.Tensors.Tests;

/// <summary>The one bound on the feature-guidance scale that the gateway and the diffusion service share.</summary>
public class GuidanceScaleTests
{
    [Theory]
    [InlineData(0f)]
    [InlineData(1f)]
    [InlineData(7f)]
    [InlineData(100f)]
    public void Scales_from_zero_to_the_bound_pass_unchanged(float scale) => Assert.Equal(scale, GuidanceScale.Check(scale));

    [Theory]
    [InlineData(-0.5f)]
    [InlineData(100.01f)]
    [InlineData(1e30f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void Anything_else_is_invalid_input_naming_the_field(float scale)
    {
        var error = Assert.Throws<InvalidInputException>(() => GuidanceScale.Check(scale, "mustafar.guidance_scale"));
        Assert.Equal("mustafar.guidance_scale", error.Field);
        Assert.Contains("is outside [0, 100]", error.Message, StringComparison.Ordinal);
    }
}
