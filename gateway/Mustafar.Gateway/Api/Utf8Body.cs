using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Mustafar.Tensors;

namespace Mustafar.Gateway.Api;

/// <summary>
/// A JSON body must be UTF-8 (RFC 8259). Raw bytes that are not would otherwise surface only when the serializer
/// transcodes the string that holds them, as an error about well-formed UTF-16 that the client never sent; here they
/// are refused up front, naming the field whose value holds them (when the JSON around them can be read) and the
/// byte offset.
/// </summary>
public static class Utf8Body
{
    public static void Require(ReadOnlySpan<byte> body)
    {
        if (Utf8.IsValid(body)) return;
        var offset = FirstInvalidByte(body);
        var field = FieldAt(body, offset);
        throw new GatewayException(ErrorKind.InvalidInput,
            $"{field ?? "the body"} is not valid UTF-8: byte {offset} of the body does not start a UTF-8 character (JSON must be UTF-8)",
            field, "invalid_utf8");
    }

    private static int FirstInvalidByte(ReadOnlySpan<byte> body)
    {
        var offset = 0;
        while (offset < body.Length)
        {
            var ascii = body[offset..].IndexOfAnyExceptInRange((byte)0, (byte)0x7F);
            if (ascii < 0) break;
            offset += ascii;
            if (Rune.DecodeFromUtf8(body[offset..], out _, out var consumed) != System.Buffers.OperationStatus.Done) return offset;
            offset += consumed;
        }
        return offset;
    }

    /// <summary>The path of the value ("messages[0].content[1].text") or property name that contains
    /// <paramref name="offset"/>; null when the JSON before it cannot be read.</summary>
    private static string? FieldAt(ReadOnlySpan<byte> body, int offset)
    {
        var containers = new List<Container>();
        string? property = null;
        var reader = new Utf8JsonReader(body);
        try
        {
            while (reader.Read())
            {
                var inside = reader.TokenStartIndex <= offset && offset < reader.BytesConsumed;
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        property = Encoding.UTF8.GetString(reader.ValueSpan);
                        if (inside) return Path(containers, Segment(containers, ref property));
                        break;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        containers.Add(new Container(Segment(containers, ref property), reader.TokenType == JsonTokenType.StartArray));
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        containers.RemoveAt(containers.Count - 1);
                        break;
                    default:
                        var segment = Segment(containers, ref property);
                        if (inside) return Path(containers, segment);
                        break;
                }
            }
        }
        catch (JsonException)
        {
            // JSON that does not parse before the bad byte: the offset alone must do.
        }
        return null;
    }

    /// <summary>An object or array being read: how its parent names it, and an array's next index.</summary>
    private sealed class Container(string segment, bool isArray)
    {
        public string Segment { get; } = segment;
        public bool IsArray { get; } = isArray;
        public int NextIndex { get; set; }
    }

    /// <summary>How the value read now is named in its container (".name", "[3]", or "" for the root).</summary>
    private static string Segment(List<Container> containers, ref string? property)
    {
        if (property is { } name)
        {
            property = null;
            return "." + name;
        }
        return containers.Count > 0 && containers[^1].IsArray ? $"[{containers[^1].NextIndex++}]" : "";
    }

    private static string? Path(List<Container> containers, string last) =>
        string.Concat(containers.Select(c => c.Segment).Append(last)).TrimStart('.') is { Length: > 0 } path ? path : null;
}
