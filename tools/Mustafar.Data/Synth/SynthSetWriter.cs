using System.Text;
using Mustafar.Data.Imaging;

namespace Mustafar.Data.Synth;

/// <summary>Writes a split into a folder: DIR/SPLIT.json, DIR/SPLIT.scenes.json, DIR/SPLIT.stats.json,
/// DIR/SPLIT.README.txt and DIR/images/SPLIT-NNNNNN.png. Splits of different names share the folder and the images/
/// subfolder without touching each other's files.</summary>
public static class SynthSetWriter
{
    public static SynthStats Write(SynthOptions options, string directory)
    {
        var items = SynthGenerator.Generate(options).ToList();
        Directory.CreateDirectory(Path.Combine(directory, "images"));
        foreach (var item in items)
        {
            var pixels = SceneRasterizer.Draw(item.Scene);
            File.WriteAllBytes(Path.Combine(directory, item.Image), PngEncoder.EncodeRgb(item.Scene.Width, item.Scene.Height, pixels));
        }
        File.WriteAllBytes(Path.Combine(directory, $"{options.Split}.json"), SynthJson.Conversations(items));
        File.WriteAllBytes(Path.Combine(directory, $"{options.Split}.scenes.json"), SynthJson.Scenes(items));
        var stats = SynthStats.Of(options, items);
        File.WriteAllBytes(Path.Combine(directory, $"{options.Split}.stats.json"), stats.ToJson());
        File.WriteAllBytes(Path.Combine(directory, $"{options.Split}.README.txt"), Encoding.UTF8.GetBytes(stats.ToText()));
        return stats;
    }
}
