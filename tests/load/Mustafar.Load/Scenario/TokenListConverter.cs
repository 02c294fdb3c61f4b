using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mustafar.Load.Scenario;

/// <summary>Token ids as a JSON array (<c>[2, 32000]</c>) or as the command line writes them (<c>"2,32000"</c>).</summary>
public sealed class TokenListConverter : JsonConverter<IReadOnlyList<int>>
{
    public override IReadOnlyList<int> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.StartArray)
        {
            var ids = new List<int>();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                ids.Add(reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var id) ? id
                    : throw new JsonException($"a token id is an integer, not {reader.TokenType}"));
            return ids;
        }
        var text = reader.TokenType == JsonTokenType.String ? reader.GetString() ?? "" : throw new JsonException("token ids: an array or \"2,32000\"");
        return [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(part =>
            int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out var id) ? id
                : throw new JsonException($"'{part}' is not a token id"))];
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyList<int> value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        foreach (var id in value) writer.WriteNumberValue(id);
        writer.WriteEndArray();
    }
}
