using Mustafar.Data.Imaging;
using Mustafar.Data.Scenes;

namespace Mustafar.Train.Vision;

/// <summary>What each patch of a scene shows, on the vision tower's G x G patch grid (row-major, the order of its patch
/// tokens). Class 0 is "nothing" in every head but the row and column ones.</summary>
/// <param name="CentreColour">1 + colour of the shape whose centre lies in the patch.</param>
/// <param name="CentreShape">1 + kind of that shape.</param>
/// <param name="CoverColour">1 + colour of the shape covering most of the patch, when it covers at least a quarter.</param>
/// <param name="CoverShape">1 + kind of that shape.</param>
/// <param name="Row">The patch's row: kept readable in the features, so that "top or bottom" and "left of" can be read.</param>
/// <param name="Column">The patch's column.</param>
internal sealed record PatchTargets(long[] CentreColour, long[] CentreShape, long[] CoverColour, long[] CoverShape, long[] Row, long[] Column)
{
    /// <summary>(name, classes) of every head, in the order <see cref="Heads"/> gives the targets.</summary>
    public static IReadOnlyList<(string Name, int Classes)> HeadShapes(int grid) =>
    [
        ("centre_colour", 1 + ShapeColours.All.Count), ("centre_shape", 1 + ShapeKinds.All.Count),
        ("cover_colour", 1 + ShapeColours.All.Count), ("cover_shape", 1 + ShapeKinds.All.Count),
        ("row", grid), ("column", grid),
    ];

    public IReadOnlyList<long[]> Heads => [CentreColour, CentreShape, CoverColour, CoverShape, Row, Column];

    /// <summary>Coverage is sampled on a 4 x 4 lattice of points inside each patch.</summary>
    private const int Samples = 4;

    /// <summary>The targets of a square scene on a grid x grid patch grid. The tower's preprocessing resizes a square
    /// image to its input size without cropping, so a patch is the same fraction of the scene as of the input.</summary>
    public static PatchTargets For(Scene scene, int grid, string field)
    {
        if (scene.Width != scene.Height)
            throw new ArgumentException($"{field}: the scene is {scene.Width}x{scene.Height}; the tower's centre crop would cut a non-square scene, so its targets are defined for square scenes only");
        var cells = grid * grid;
        var targets = new PatchTargets(new long[cells], new long[cells], new long[cells], new long[cells], new long[cells], new long[cells]);
        for (var cell = 0; cell < cells; cell++)
        {
            targets.Row[cell] = cell / grid;
            targets.Column[cell] = cell % grid;
        }
        foreach (var shape in scene.Shapes)
        {
            // The cell of the centre: floor(centre * grid / side), in doubled coordinates.
            var cell = (int)Math.Min(grid - 1, (long)shape.CentreY2 * grid / (2L * scene.Height)) * grid
                       + (int)Math.Min(grid - 1, (long)shape.CentreX2 * grid / (2L * scene.Width));
            targets.CentreColour[cell] = 1 + (int)shape.Colour;
            targets.CentreShape[cell] = 1 + (int)shape.Kind;
        }
        for (var cell = 0; cell < cells; cell++)
        {
            var (row, column) = (cell / grid, cell % grid);
            SceneShape? best = null;
            var bestCount = 0;
            foreach (var shape in scene.Shapes)
            {
                var count = 0;
                for (var sy = 0; sy < Samples; sy++)
                    for (var sx = 0; sx < Samples; sx++)
                    {
                        // Doubled coordinates of the sample point (column + (sx + 0.5) / Samples) * side / grid.
                        var px2 = (int)((2L * ((column * Samples) + sx) + 1) * scene.Width / (grid * Samples));
                        var py2 = (int)((2L * ((row * Samples) + sy) + 1) * scene.Height / (grid * Samples));
                        if (SceneRasterizer.Covers(shape, px2, py2)) count++;
                    }
                if (count > bestCount) (best, bestCount) = (shape, count);
            }
            if (best is not null && bestCount * 4 >= Samples * Samples)
            {
                targets.CoverColour[cell] = 1 + (int)best.Colour;
                targets.CoverShape[cell] = 1 + (int)best.Kind;
            }
        }
        return targets;
    }
}
