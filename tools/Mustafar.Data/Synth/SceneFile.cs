using System.Text.Json;
using Mustafar.Data.Scenes;

namespace Mustafar.Data.Synth;

/// <summary>One scene of a SPLIT.scenes.json file: its image (a path relative to the file's folder) and what it shows.</summary>
public sealed record SceneEntry(string Image, Scene Scene);

/// <summary>Reads back the scene descriptions <see cref="SynthJson.Scenes"/> writes: what every image was drawn from,
/// once per image however many questions share it. Errors name the field.</summary>
public static class SceneFile
{
    public static IReadOnlyList<SceneEntry> Read(string path, string field)
    {
        if (!File.Exists(path)) throw new ArgumentException($"{field}: {path} does not exist");
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        if (document.RootElement.ValueKind != JsonValueKind.Array) throw new ArgumentException($"{field}: {path} is not a JSON list of scenes");
        var scenes = new List<SceneEntry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var item in document.RootElement.EnumerateArray())
        {
            var at = $"{field}[{index++}]";
            var image = Text(item, "image", at);
            if (!seen.Add(image)) continue;
            if (!item.TryGetProperty("shapes", out var list) || list.ValueKind != JsonValueKind.Array)
                throw new ArgumentException($"{at}.shapes: missing or not a list");
            var shapes = new List<SceneShape>();
            foreach (var shape in list.EnumerateArray())
            {
                var where = $"{at}.shapes[{shapes.Count}]";
                try
                {
                    shapes.Add(new SceneShape(ShapeKinds.Parse(Text(shape, "shape", where)), ShapeColours.Parse(Text(shape, "colour", where)),
                        Int(shape, "x", where), Int(shape, "y", where), Int(shape, "size", where)));
                }
                catch (ArgumentException e) when (!e.Message.StartsWith(where, StringComparison.Ordinal))
                {
                    throw new ArgumentException($"{where}: {e.Message}");
                }
            }
            scenes.Add(new SceneEntry(image, new Scene(Int(item, "width", at), Int(item, "height", at), shapes)));
        }
        if (scenes.Count == 0) throw new ArgumentException($"{field}: {path} holds no scenes");
        return scenes;
    }

    private static string Text(JsonElement item, string name, string at) =>
        item.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()!
        : throw new ArgumentException($"{at}.{name}: missing or not a string");

    private static int Int(JsonElement item, string name, string at) =>
        item.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) ? number
        : throw new ArgumentException($"{at}.{name}: missing or not an integer");
}
