using Mustafar.Data.Imaging;
using Mustafar.Data.Scenes;
using Mustafar.Data.Synth;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Mustafar.Data.Tests;

public sealed class SceneRasterizerTests
{
    [Fact]
    public void Small_shapes_are_drawn_pixel_exactly()
    {
        // 4-pixel boxes: the square fills its box; the circle (radius 2 about the box centre) loses the four corners;
        // the triangle's half-width at a pixel centre's depth d is d / 2 (0.25, 0.75, 1.25, 1.75 pixels), which covers
        // no pixel centre in the top row, the middle two in the next two rows and all four in the bottom row.
        string Draw(ShapeKind kind)
        {
            var pixels = SceneRasterizer.Draw(new Scene(6, 6, [new SceneShape(kind, ShapeColour.Red, 1, 1, 4)]));
            return string.Join('/', Enumerable.Range(1, 4).Select(y => new string([.. Enumerable.Range(1, 4).Select(x => pixels[(y * 6 + x) * 3] == 220 ? '#' : '.')])));
        }
        Assert.Equal("####/####/####/####", Draw(ShapeKind.Square));
        Assert.Equal(".##./####/####/.##.", Draw(ShapeKind.Circle));
        Assert.Equal("..../.##./.##./####", Draw(ShapeKind.Triangle));
    }

    [Fact]
    public void The_png_decodes_to_the_drawn_pixels_with_each_shape_in_its_colour()
    {
        foreach (var item in SynthGenerator.Generate(new SynthOptions(Seed: 9, Count: 20)))
        {
            var pixels = SceneRasterizer.Draw(item.Scene);
            using var image = Image.Load<Rgb24>(PngEncoder.EncodeRgb(item.Scene.Width, item.Scene.Height, pixels));
            Assert.Equal((item.Scene.Width, item.Scene.Height), (image.Width, image.Height));
            for (var y = 0; y < image.Height; y++)
                for (var x = 0; x < image.Width; x++)
                {
                    var p = image[x, y];
                    var i = (y * image.Width + x) * 3;
                    if ((p.R, p.G, p.B) != (pixels[i], pixels[i + 1], pixels[i + 2])) Assert.Fail($"{item.Id}: pixel ({x}, {y}) decodes to {p}");
                }
            foreach (var shape in item.Scene.Shapes)
            {
                // Every shape covers its centre and the middle of its box's bottom row.
                Assert.Equal(shape.Colour.Rgb(), Colour(image[shape.CentreX2 / 2, shape.CentreY2 / 2]));
                Assert.Equal(shape.Colour.Rgb(), Colour(image[shape.CentreX2 / 2, shape.Y + shape.Size - 1]));
            }
            Assert.Equal(ShapeColours.Background, Colour(image[0, 0]));
        }
    }

    private static (byte, byte, byte) Colour(Rgb24 pixel) => (pixel.R, pixel.G, pixel.B);
}
