using Mustafar.Data.Synth;

namespace Mustafar.Data.Tests;

public sealed class SceneFileTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void The_scenes_read_back_are_the_scenes_the_images_were_drawn_from()
    {
        var options = new SynthOptions(Seed: 5, Count: 30, ImageSize: 112);
        SynthSetWriter.Write(options, _folder.Root);
        var read = SceneFile.Read(Path.Combine(_folder.Root, "train.scenes.json"), "scenes");
        var drawn = SynthGenerator.Generate(options).ToList();

        Assert.Equal(drawn.Count, read.Count);
        for (var i = 0; i < drawn.Count; i++)
        {
            Assert.Equal(drawn[i].Image, read[i].Image);
            Assert.Equal((drawn[i].Scene.Width, drawn[i].Scene.Height), (read[i].Scene.Width, read[i].Scene.Height));
            Assert.Equal(drawn[i].Scene.Shapes, read[i].Scene.Shapes);
        }
    }

    [Theory]
    [InlineData("""[{"image": "a.png", "width": 56, "height": 56, "shapes": [{"shape": "hexagon", "colour": "red", "x": 1, "y": 1, "size": 9}]}]""", "scenes[0].shapes[0]")]
    [InlineData("""[{"image": "a.png", "width": "56", "height": 56, "shapes": []}]""", "scenes[0].width")]
    [InlineData("""[{"image": "a.png", "width": 56, "height": 56}]""", "scenes[0].shapes")]
    [InlineData("""[{"width": 56, "height": 56, "shapes": []}]""", "scenes[0].image")]
    [InlineData("""{"image": "a.png"}""", "scenes")]
    [InlineData("""[]""", "scenes")]
    public void A_bad_scene_file_is_refused_naming_the_field(string json, string field)
    {
        var path = _folder.Sub("bad.scenes.json");
        File.WriteAllText(path, json);
        var error = Assert.Throws<ArgumentException>(() => SceneFile.Read(path, "scenes"));
        Assert.StartsWith(field + (field.Contains('[') ? "" : ":"), error.Message);
    }
}
