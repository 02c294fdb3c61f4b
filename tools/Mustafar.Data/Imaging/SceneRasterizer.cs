using Mustafar.Data.Scenes;

namespace Mustafar.Data.Imaging;

/// <summary>Draws a scene into 8-bit RGB pixels without anti-aliasing: a pixel takes a shape's colour when its centre
/// lies inside the shape. Every test is integer arithmetic on doubled coordinates (the centre of pixel x is
/// (2x + 1) / 2), so the pixels are the same on every machine.</summary>
public static class SceneRasterizer
{
    /// <summary>Row-major RGB bytes, Width * Height * 3.</summary>
    public static byte[] Draw(Scene scene)
    {
        var pixels = new byte[scene.Width * scene.Height * 3];
        Fill(pixels, 0, pixels.Length / 3, ShapeColours.Background);
        foreach (var shape in scene.Shapes)
        {
            var rgb = shape.Colour.Rgb();
            for (var y = shape.Y; y < shape.Y + shape.Size; y++)
                for (var x = shape.X; x < shape.X + shape.Size; x++)
                    if (Covers(shape, 2 * x + 1, 2 * y + 1)) Fill(pixels, (y * scene.Width) + x, 1, rgb);
        }
        return pixels;
    }

    /// <summary>Whether the point (px2 / 2, py2 / 2) lies inside the shape (its edge included).</summary>
    public static bool Covers(SceneShape shape, int px2, int py2)
    {
        var dx = px2 - shape.CentreX2;
        var top2 = 2 * shape.Y;
        var bottom2 = 2 * (shape.Y + shape.Size);
        if (py2 < top2 || py2 > bottom2 || Math.Abs(dx) > shape.Size) return false;
        return shape.Kind switch
        {
            ShapeKind.Square => true,
            // Inscribed circle: radius Size / 2, doubled Size.
            ShapeKind.Circle => (long)dx * dx + (long)(py2 - shape.CentreY2) * (py2 - shape.CentreY2) <= (long)shape.Size * shape.Size,
            // Apex at the top centre, base along the bottom: the half-width grows by 1/2 per unit of depth.
            ShapeKind.Triangle => 2 * Math.Abs(dx) <= py2 - top2,
            _ => throw new ArgumentOutOfRangeException(nameof(shape), shape.Kind, null),
        };
    }

    private static void Fill(byte[] pixels, int first, int count, (byte R, byte G, byte B) rgb)
    {
        for (var i = first * 3; i < (first + count) * 3; i += 3)
        {
            pixels[i] = rgb.R;
            pixels[i + 1] = rgb.G;
            pixels[i + 2] = rgb.B;
        }
    }
}
