using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mustafar.Load.Scenario;

/// <summary>A mix as "chat=2,ask=1" or as an object {"chat": 2, "ask": 1}.</summary>
public sealed class RequestMixConverter : JsonConverter<RequestMix>
{
    public override RequestMix Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        try
        {
            return ReadMix(ref reader);
        }
        catch (FormatException error)
        {
            throw new JsonException(error.Message, error); // the serializer adds the option's path
        }
    }

    private static RequestMix ReadMix(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String) return RequestMix.Parse(reader.GetString() ?? "");
        if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException("mix must be a string (\"chat=2,ask=1\") or an object ({\"chat\": 2})");
        var parts = new List<string>();
        foreach (var property in JsonElement.ParseValue(ref reader).EnumerateObject())
            parts.Add($"{property.Name}={property.Value.GetDouble().ToString(CultureInfo.InvariantCulture)}");
        return RequestMix.Parse(string.Join(',', parts));
    }

    public override void Write(Utf8JsonWriter writer, RequestMix value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}
