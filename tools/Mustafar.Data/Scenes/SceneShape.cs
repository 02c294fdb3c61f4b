namespace Mustafar.Data.Scenes;

/// <summary>One flat shape inside its square bounding box (whole pixels: left X, top Y, side Size). A circle is
/// inscribed in the box, a square fills it, a triangle points up with its base on the box's bottom edge.</summary>
public sealed record SceneShape(ShapeKind Kind, ShapeColour Colour, int X, int Y, int Size)
{
    /// <summary>"red square": how a question names the shape.</summary>
    public string Name => $"{Colour.Word()} {Kind.Word()}";

    /// <summary>Twice the centre's coordinates: whole numbers, so every rule on positions is exact integer arithmetic.</summary>
    public int CentreX2 => 2 * X + Size;

    public int CentreY2 => 2 * Y + Size;

    /// <summary>Whether the two boxes, each grown by margin pixels, touch: the sampler keeps shapes apart by this.</summary>
    public bool Overlaps(SceneShape other, int margin) =>
        X < other.X + other.Size + margin && other.X < X + Size + margin
        && Y < other.Y + other.Size + margin && other.Y < Y + Size + margin;
}
