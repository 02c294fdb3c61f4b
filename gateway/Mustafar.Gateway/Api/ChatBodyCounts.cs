using System.Text.Json;

namespace Mustafar.Gateway.Api;

/// <summary>
/// Counts a chat request's messages and content parts with a forward-only reader, before the serializer builds an
/// object for each: a 30 MB body of a million tiny messages is refused in the time it takes to scan it, not after a
/// million objects were made (and then refused by the generator's context anyway).
/// </summary>
public static class ChatBodyCounts
{
    /// <exception cref="Mustafar.Tensors.InputTooLargeException">Too many messages, or content parts in all.</exception>
    public static void Check(ReadOnlySpan<byte> body, LimitOptions limits)
    {
        var reader = new Utf8JsonReader(body);
        var messages = 0;
        var parts = 0;
        try
        {
            while (reader.Read())
            {
                // Depth 1: the request's fields; "messages" at depth 1 holds messages at depth 2, which hold "content"
                // (depth 3) whose parts are at depth 4.
                if (reader.TokenType != JsonTokenType.PropertyName) continue;
                if (reader.CurrentDepth == 1 && reader.ValueTextEquals("messages"u8))
                {
                    if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray) return; // the serializer says what is wrong
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        if (++messages > limits.MaxMessages)
                            throw new Mustafar.Tensors.InputTooLargeException("messages", $"has more than the {limits.MaxMessages} messages accepted");
                        parts += ContentParts(ref reader);
                        if (parts > limits.MaxContentParts)
                            throw new Mustafar.Tensors.InputTooLargeException("messages", $"has more than the {limits.MaxContentParts} content parts accepted in all");
                    }
                }
                else
                {
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            // Malformed JSON: the serializer reports it with its path.
        }
    }

    /// <summary>Reads one message (the reader is on its first token) and returns the number of its content parts.</summary>
    private static int ContentParts(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return 0;
        }
        var parts = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isContent = reader.ValueTextEquals("content"u8);
            reader.Read();
            if (isContent && reader.TokenType == JsonTokenType.StartArray)
            {
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    parts++;
                    reader.Skip();
                }
            }
            else
            {
                reader.Skip();
            }
        }
        return parts;
    }
}
