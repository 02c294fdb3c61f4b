using System.Globalization;
using System.Text.Json.Nodes;

namespace Mustafar.Train.Data;

/// <summary>Reads LLaVA's conversation JSON: a list of {"id", "image"?, "conversations": [{"from", "value"}, ...]}.
/// Turns must alternate human, gpt, human, gpt ... and end with a gpt turn; a bad record fails naming its index and
/// field.</summary>
public static class LlavaDatasetReader
{
    public static IReadOnlyList<LlavaSample> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"data: {path} does not exist", path);
        var list = JsonNode.Parse(File.ReadAllText(path)) as JsonArray ?? throw new InvalidDataException($"{path}: not a JSON list");
        var samples = new List<LlavaSample>(list.Count);
        for (var i = 0; i < list.Count; i++)
        {
            var where = $"{path}[{i}]";
            var record = list[i] as JsonObject ?? throw new InvalidDataException($"{where}: not an object");
            var turns = record["conversations"] as JsonArray ?? throw new InvalidDataException($"{where}.conversations: missing or not a list");
            if (turns.Count < 2 || turns.Count % 2 != 0)
                throw new InvalidDataException($"{where}.conversations: needs human/gpt pairs, found {turns.Count} turns");
            var conversation = new List<LlavaTurn>(turns.Count);
            for (var t = 0; t < turns.Count; t++)
            {
                var expected = t % 2 == 0 ? LlavaSample.Human : LlavaSample.Gpt;
                var from = turns[t]?["from"]?.ToString();
                if (from != expected) throw new InvalidDataException($"{where}.conversations[{t}].from: expected \"{expected}\", found \"{from}\"");
                var value = turns[t]?["value"]?.ToString();
                if (string.IsNullOrWhiteSpace(value)) throw new InvalidDataException($"{where}.conversations[{t}].value: empty");
                conversation.Add(new LlavaTurn(from, value));
            }
            var id = record["id"]?.ToString() ?? i.ToString(CultureInfo.InvariantCulture);
            samples.Add(new LlavaSample(id, record["image"]?.ToString(), conversation));
        }
        if (samples.Count == 0) throw new InvalidDataException($"{path}: holds no samples");
        return samples;
    }
}
