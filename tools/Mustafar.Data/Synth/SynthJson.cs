using System.Text.Encodings.Web;
using System.Text.Json;
using Mustafar.Data.Scenes;

namespace Mustafar.Data.Synth;

/// <summary>Writes the set's JSON files: LLaVA's conversation list and the scene descriptions. Indented with "\n" on
/// every platform and without escaping '&lt;' (LLaVA's files show "&lt;image&gt;" as it is), so the bytes depend only on
/// the items.</summary>
public static class SynthJson
{
    private static readonly JsonWriterOptions Options = new()
    {
        Indented = true,
        NewLine = "\n",
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>[{"id", "image", "conversations": [{"from": "human", "value": "&lt;image&gt;\n..."}, {"from": "gpt",
    /// "value": ...}], "category"}]: what LLaVA's training scripts and `mustafar eval --format llava` read.</summary>
    public static byte[] Conversations(IEnumerable<SynthItem> items) => Write(json =>
    {
        json.WriteStartArray();
        foreach (var item in items)
        {
            json.WriteStartObject();
            json.WriteString("id", item.Id);
            json.WriteString("image", item.Image);
            json.WriteStartArray("conversations");
            WriteTurn(json, "human", "<image>\n" + item.Question.Text);
            WriteTurn(json, "gpt", item.Question.Answer);
            json.WriteEndArray();
            json.WriteString("category", item.Question.Category);
            json.WriteEndObject();
        }
        json.WriteEndArray();
    });

    /// <summary>[{"id", "image", "width", "height", "background": [r, g, b], "shapes": [{"shape", "colour", "rgb",
    /// "x", "y", "size"}]}]: boxes in pixels (left, top, side), what the image was drawn from.</summary>
    public static byte[] Scenes(IEnumerable<SynthItem> items) => Write(json =>
    {
        json.WriteStartArray();
        foreach (var item in items)
        {
            json.WriteStartObject();
            json.WriteString("id", item.Id);
            json.WriteString("image", item.Image);
            json.WriteNumber("width", item.Scene.Width);
            json.WriteNumber("height", item.Scene.Height);
            WriteRgb(json, "background", ShapeColours.Background);
            json.WriteStartArray("shapes");
            foreach (var shape in item.Scene.Shapes)
            {
                json.WriteStartObject();
                json.WriteString("shape", shape.Kind.Word());
                json.WriteString("colour", shape.Colour.Word());
                WriteRgb(json, "rgb", shape.Colour.Rgb());
                json.WriteNumber("x", shape.X);
                json.WriteNumber("y", shape.Y);
                json.WriteNumber("size", shape.Size);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndArray();
    });

    internal static byte[] Write(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, Options)) write(json);
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    private static void WriteTurn(Utf8JsonWriter json, string from, string value)
    {
        json.WriteStartObject();
        json.WriteString("from", from);
        json.WriteString("value", value);
        json.WriteEndObject();
    }

    private static void WriteRgb(Utf8JsonWriter json, string name, (byte R, byte G, byte B) rgb)
    {
        json.WriteStartArray(name);
        json.WriteNumberValue(rgb.R);
        json.WriteNumberValue(rgb.G);
        json.WriteNumberValue(rgb.B);
        json.WriteEndArray();
    }
}
