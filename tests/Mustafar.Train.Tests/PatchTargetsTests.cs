using Mustafar.Data.Scenes;
using Mustafar.Train.Vision;

namespace Mustafar.Train.Tests;

public sealed class PatchTargetsTests
{
    // A 112-pixel scene: a red square (left 8, top 8, side 24; centre 20,20) and a blue circle (left 70, top 60,
    // side 30; centre 85,75).
    private static readonly Scene Scene = new(112, 112,
    [
        new SceneShape(ShapeKind.Square, ShapeColour.Red, 8, 8, 24),
        new SceneShape(ShapeKind.Circle, ShapeColour.Blue, 70, 60, 30),
    ]);

    [Theory]
    [InlineData(7, 1, 1, 4, 5)] // 16-pixel patches: centres at 20 -> 1 and 85 -> 5, 75 -> 4
    [InlineData(4, 0, 0, 2, 3)] // 28-pixel patches: 20 -> 0, 85 -> 3, 75 -> 2
    public void Each_shape_is_named_at_the_patch_of_its_centre_and_nowhere_else(int grid, int squareRow, int squareColumn, int circleRow, int circleColumn)
    {
        var targets = PatchTargets.For(Scene, grid, "scenes[0]");

        var square = (squareRow * grid) + squareColumn;
        var circle = (circleRow * grid) + circleColumn;
        Assert.Equal((1 + (int)ShapeColour.Red, 1 + (int)ShapeKind.Square), (targets.CentreColour[square], targets.CentreShape[square]));
        Assert.Equal((1 + (int)ShapeColour.Blue, 1 + (int)ShapeKind.Circle), (targets.CentreColour[circle], targets.CentreShape[circle]));
        Assert.Equal(2, targets.CentreColour.Count(c => c != 0));
        Assert.Equal(2, targets.CentreShape.Count(c => c != 0));
        Assert.Equal(Enumerable.Range(0, grid * grid).Select(c => (long)(c / grid)), targets.Row);
        Assert.Equal(Enumerable.Range(0, grid * grid).Select(c => (long)(c % grid)), targets.Column);
        Assert.All(PatchTargets.HeadShapes(grid).Zip(targets.Heads), h => Assert.All(h.Second, c => Assert.InRange(c, 0, h.First.Classes - 1)));
    }

    [Fact]
    public void A_patch_is_covered_by_the_shape_filling_it_and_by_nothing_where_the_background_shows()
    {
        var targets = PatchTargets.For(Scene, 7, "scenes[0]");

        // Patch (1, 1) spans pixels 16-32, inside the square (8-32).
        Assert.Equal((1 + (int)ShapeColour.Red, 1 + (int)ShapeKind.Square), (targets.CoverColour[8], targets.CoverShape[8]));
        // Patch (4, 5) spans 80-96 across and 64-80 down, inside the circle around (85, 75) of radius 15.
        Assert.Equal((1 + (int)ShapeColour.Blue, 1 + (int)ShapeKind.Circle), (targets.CoverColour[33], targets.CoverShape[33]));
        // Patch (3, 3) spans 48-64 both ways: background only.
        Assert.Equal((0L, 0L), (targets.CoverColour[24], targets.CoverShape[24]));
        // Colour and kind always come together: covered by a shape, or by nothing.
        Assert.Equal(targets.CoverColour.Select(c => c == 0), targets.CoverShape.Select(c => c == 0));
    }

    [Fact]
    public void A_scene_that_is_not_square_is_refused_naming_the_field()
    {
        var error = Assert.Throws<ArgumentException>(() => PatchTargets.For(new Scene(112, 84, []), 7, "scenes[3]"));
        Assert.StartsWith("scenes[3]:", error.Message);
    }
}
