namespace Mustafar.Data.Scenes;

public enum ShapeColour { Red, Green, Blue, Yellow, Purple, Orange }

/// <summary>The word and the exact RGB value of each colour: saturated, far apart from each other and from the
/// background, so that the colour survives CLIP's bicubic downscaling and no answer depends on shade.</summary>
public static class ShapeColours
{
    public static IReadOnlyList<ShapeColour> All { get; } = Enum.GetValues<ShapeColour>();

    /// <summary>The plain background: light grey rather than white, so yellow still stands out.</summary>
    public static (byte R, byte G, byte B) Background { get; } = (232, 232, 232);

    public static string Word(this ShapeColour colour) => colour switch
    {
        ShapeColour.Red => "red",
        ShapeColour.Green => "green",
        ShapeColour.Blue => "blue",
        ShapeColour.Yellow => "yellow",
        ShapeColour.Purple => "purple",
        ShapeColour.Orange => "orange",
        _ => throw new ArgumentOutOfRangeException(nameof(colour), colour, null),
    };

    public static (byte R, byte G, byte B) Rgb(this ShapeColour colour) => colour switch
    {
        ShapeColour.Red => (220, 30, 30),
        ShapeColour.Green => (30, 160, 50),
        ShapeColour.Blue => (30, 70, 220),
        ShapeColour.Yellow => (240, 200, 0),
        ShapeColour.Purple => (140, 40, 170),
        ShapeColour.Orange => (250, 130, 10),
        _ => throw new ArgumentOutOfRangeException(nameof(colour), colour, null),
    };

    public static ShapeColour Parse(string word) =>
        All.FirstOrDefault(c => c.Word() == word, (ShapeColour)(-1)) is var colour && colour >= 0 ? colour
        : throw new ArgumentException($"unknown colour '{word}'", nameof(word));
}
