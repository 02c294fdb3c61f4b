namespace Mustafar.Data.Scenes;

/// <summary>Draws random scenes: 1-4 shapes of random kind, colour, size and position whose boxes (grown by the
/// margin) never overlap and stay a margin inside the image.</summary>
public static class SceneSampler
{
    /// <summary>Placement tries per scene before starting over with a new shape count (four big shapes can fail to fit).</summary>
    private const int PlacementTries = 200;

    public static Scene Sample(SplitMix64 random, int side)
    {
        if (side < SceneRules.MinImageSize) throw new ArgumentOutOfRangeException(nameof(side), $"the image side must be at least {SceneRules.MinImageSize} pixels");
        var margin = SceneRules.Margin(side);
        var (minSize, maxSize) = SceneRules.SizeRange(side);
        while (true)
        {
            var count = random.Next(1, SceneRules.MaxShapes + 1);
            var shapes = new List<SceneShape>(count);
            for (var tries = 0; shapes.Count < count && tries < PlacementTries; tries++)
            {
                var kind = random.Pick(ShapeKinds.All);
                var colour = random.Pick(ShapeColours.All);
                var size = random.Next(minSize, maxSize + 1);
                var candidate = new SceneShape(kind, colour,
                    random.Next(margin, side - margin - size + 1), random.Next(margin, side - margin - size + 1), size);
                if (shapes.TrueForAll(s => !s.Overlaps(candidate, margin))) shapes.Add(candidate);
            }
            if (shapes.Count == count) return new Scene(side, side, shapes);
        }
    }
}
