using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mustafar.Load.Scenario;

/// <summary>Durations as people write them: "30s", "500ms", "2m", "1h", "00:00:30", or a number of seconds.</summary>
public sealed class DurationConverter : JsonConverter<TimeSpan>
{
    public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        try
        {
            return reader.TokenType == JsonTokenType.Number ? TimeSpan.FromSeconds(reader.GetDouble()) : Parse(reader.GetString() ?? "");
        }
        catch (FormatException error)
        {
            throw new JsonException(error.Message, error); // the serializer adds the option's path
        }
    }

    public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
        writer.WriteStringValue(Format(value));

    public static TimeSpan Parse(string text)
    {
        text = text.Trim();
        (string Suffix, double Seconds)[] units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)];
        foreach (var (suffix, seconds) in units)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value))
                return TimeSpan.FromSeconds(value * seconds);
        }
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var plain) && double.IsFinite(plain))
            return TimeSpan.FromSeconds(plain);
        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span)) return span;
        throw new FormatException($"'{text}' is not a duration (examples: 30s, 500ms, 2m, 00:01:30)");
    }

    public static string Format(TimeSpan value) => value.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s";
}
