namespace Mustafar.Data.Scenes;

/// <summary>The geometry that makes answers unambiguous, in one place for the sampler, the question composer and the
/// answer oracle. Everything is a fraction of the image side in whole pixels.</summary>
public static class SceneRules
{
    /// <summary>The smallest image side: the demo CLIP's 28 pixels, where the smallest shape is still 4 pixels wide.</summary>
    public const int MinImageSize = 28;

    public const int MaxShapes = 4;

    /// <summary>Gap between shapes' boxes and between a box and the border: 4% of the side, at least 1 pixel.</summary>
    public static int Margin(int side) => Math.Max(1, side * 4 / 100);

    /// <summary>Box sides from 15% to 30% of the image side: four fit with margins, and none is a speck after
    /// downscaling to the encoder's size.</summary>
    public static (int Min, int Max) SizeRange(int side) => (Math.Max(4, side * 15 / 100), side * 30 / 100);

    /// <summary>"On the left": the centre lies left of the middle band, the central 20% of the width (40%-60%);
    /// a centre inside the band is on neither side and no position question is asked about it.</summary>
    public static bool IsLeft(SceneShape shape, int width) => shape.CentreX2 * 10 < width * 8;

    public static bool IsRight(SceneShape shape, int width) => shape.CentreX2 * 10 > width * 12;

    public static bool IsTop(SceneShape shape, int height) => shape.CentreY2 * 10 < height * 8;

    public static bool IsBottom(SceneShape shape, int height) => shape.CentreY2 * 10 > height * 12;

    /// <summary>"a is left of b" without doubt: a's box ends at least one margin before b's begins. When neither is
    /// clearly left of the other, no relation question is asked about the pair.</summary>
    public static bool IsClearlyLeftOf(SceneShape a, SceneShape b, int width) => a.X + a.Size + Margin(width) <= b.X;
}
