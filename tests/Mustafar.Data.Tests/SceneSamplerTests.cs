using Mustafar.Data.Scenes;

namespace Mustafar.Data.Tests;

public sealed class SceneSamplerTests
{
    [Theory]
    [InlineData(224)]
    [InlineData(28)]
    [InlineData(336)]
    public void Scenes_have_one_to_four_shapes_apart_by_the_margin_and_inside_the_image(int side)
    {
        var random = new SplitMix64(11);
        var margin = SceneRules.Margin(side);
        var (minSize, maxSize) = SceneRules.SizeRange(side);
        var counts = new int[SceneRules.MaxShapes + 1];
        for (var n = 0; n < 3000; n++)
        {
            var scene = SceneSampler.Sample(random, side);
            counts[scene.Shapes.Count]++;
            foreach (var shape in scene.Shapes)
            {
                Assert.InRange(shape.Size, minSize, maxSize);
                Assert.True(shape.X >= margin && shape.Y >= margin && shape.X + shape.Size <= side - margin && shape.Y + shape.Size <= side - margin, $"{shape} leaves the image");
                Assert.All(scene.Shapes.Where(o => !ReferenceEquals(o, shape)), o => Assert.False(shape.Overlaps(o, margin), $"{shape} overlaps {o}"));
            }
        }
        Assert.Equal(0, counts[0]);
        Assert.All(counts[1..], c => Assert.True(c > 500, $"shape counts {string.Join(',', counts)} are far from uniform"));
    }

    [Fact]
    public void Images_smaller_than_the_demo_encoder_are_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => SceneSampler.Sample(new SplitMix64(1), SceneRules.MinImageSize - 1));
}
