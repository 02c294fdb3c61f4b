using System.Text;
using System.Text.Json;
using Mustafar.Gateway.Pipeline;
using Mustafar.Tensors;
using Mustafar.Gateway.Api.OpenAi;

namespace Mustafar.Gateway.Api;

/// <summary>An OpenAI chat request taken apart: the conversation for the generator, the one image, the question.</summary>
public sealed record ChatInput(List<ConversationTurn> Conversation, byte[] Image, string ImageField, string Question);

/// <summary>
/// Reads the messages of a chat completion request: roles, text and image_url parts. The model answers about one
/// image, so exactly one image_url part must be present, in a user message. The question (the diffusion prompt in
/// "question" mode) is the text of the last message, which must be the user's. An image that is not in the first
/// user message gets an explicit "&lt;image&gt;" placeholder; in the first one the generator places it itself.
/// </summary>
public sealed class ChatRequestMapper(ImageUrls imageUrls)
{
    public async Task<ChatInput> MapAsync(ChatCompletionRequest request, string? systemPrompt, CancellationToken cancellationToken)
    {
        if (request.Messages is not { Count: > 0 } messages)
            throw new InvalidInputException("messages", "at least one message is required");
        if (request.N is { } n && n != 1)
            throw new InvalidInputException("n", $"only n = 1 is supported, not {n}");

        var conversation = new List<ConversationTurn>();
        if (!string.IsNullOrEmpty(systemPrompt) && !messages.Any(m => m.Role is "system" or "developer"))
            conversation.Add(new ConversationTurn(Speaker.System, systemPrompt));

        (int Message, string Field, JsonElement Url)? image = null;
        var firstUser = -1;
        for (var i = 0; i < messages.Count; i++)
        {
            var field = $"messages[{i}]";
            var role = ParseRole(messages[i].Role, field + ".role");
            if (role == Speaker.User && firstUser < 0) firstUser = conversation.Count;
            var text = new StringBuilder();
            foreach (var (partField, url) in ReadContent(messages[i].Content, field + ".content", text))
            {
                if (role != Speaker.User)
                    throw new InvalidInputException(partField, "images are accepted in user messages only");
                if (image is not null)
                    throw new GatewayException(ErrorKind.InvalidInput,
                        $"more than one image: {image.Value.Field} and {partField}; the model answers about one image per conversation", partField, "too_many_images");
                image = (conversation.Count, partField, url);
            }
            conversation.Add(new ConversationTurn(role, text.ToString()));
        }

        if (image is not { } found)
            throw new GatewayException(ErrorKind.InvalidInput, "no image: send one image_url content part in a user message", "messages", "missing_image");
        var last = conversation[^1];
        if (last.Speaker != Speaker.User)
            throw new InvalidInputException($"messages[{messages.Count - 1}].role", "the last message must be the user's question");
        if (string.IsNullOrWhiteSpace(last.Text))
            throw new GatewayException(ErrorKind.InvalidInput, "the question is missing: the last user message has no text",
                $"messages[{messages.Count - 1}].content", "missing_question");
        var imageTurn = conversation[found.Message];
        if (found.Message != firstUser && !imageTurn.Text.Contains("<image>", StringComparison.Ordinal))
            conversation[found.Message] = imageTurn with { Text = "<image>\n" + imageTurn.Text };

        var bytes = await imageUrls.LoadAsync(found.Url, found.Field, cancellationToken).ConfigureAwait(false);
        // The question is the last turn as the generator gets it: with the "<image>" line when the image is in that
        // turn and it is not the first user turn (as before the records; whether the diffusion prompt should drop it
        // is a behaviour change of its own).
        return new ChatInput(conversation, bytes, found.Field, conversation[^1].Text);
    }

    private static Speaker ParseRole(string? role, string field) => role switch
    {
        "user" => Speaker.User,
        "assistant" => Speaker.Assistant,
        "system" or "developer" => Speaker.System,
        null => throw new InvalidInputException(field, "is required"),
        _ => throw new InvalidInputException(field, $"'{role}' is not one of system, developer, user, assistant"),
    };

    /// <summary>Appends the text parts to <paramref name="text"/> and yields the image parts' URLs with their fields.</summary>
    private static IEnumerable<(string Field, JsonElement Url)> ReadContent(JsonElement content, string field, StringBuilder text)
    {
        switch (content.ValueKind)
        {
            case JsonValueKind.String:
                text.Append(JsonInput.Text(content, field));
                yield break;
            case JsonValueKind.Array:
                break;
            case JsonValueKind.Undefined or JsonValueKind.Null:
                throw new InvalidInputException(field, "is required");
            default:
                throw new InvalidInputException(field, "must be a string or an array of content parts");
        }

        var index = 0;
        foreach (var part in content.EnumerateArray())
        {
            var partField = $"{field}[{index++}]";
            if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
                throw new InvalidInputException(partField, "a content part is an object with a \"type\"");
            var kind = JsonInput.Text(type, partField + ".type");
            switch (kind)
            {
                case "text":
                    if (!part.TryGetProperty("text", out var partText) || partText.ValueKind != JsonValueKind.String)
                        throw new InvalidInputException(partField + ".text", "is required");
                    if (text.Length > 0) text.Append('\n');
                    text.Append(JsonInput.Text(partText, partField + ".text"));
                    break;
                case "image_url":
                    yield return (partField + ".image_url", ReadImageUrl(part, partField + ".image_url"));
                    break;
                default:
                    throw new InvalidInputException(partField + ".type", $"'{kind}' is not supported (text, image_url)");
            }
        }
    }

    /// <summary>The URL's JSON string, not yet a .NET string: a data: URL is decoded from its UTF-8 bytes
    /// (<see cref="ImageUrls"/>), never turned into a string twice the size of the body first.</summary>
    private static JsonElement ReadImageUrl(JsonElement part, string field)
    {
        if (!part.TryGetProperty("image_url", out var imageUrl))
            throw new InvalidInputException(field, "is required");
        // OpenAI's shape is {"url": "..."}; a bare string is accepted too.
        var url = imageUrl.ValueKind switch
        {
            JsonValueKind.String => imageUrl,
            JsonValueKind.Object when imageUrl.TryGetProperty("url", out var u) && u.ValueKind == JsonValueKind.String => u,
            _ => default,
        };
        return url.ValueKind != JsonValueKind.String || url.ValueEquals(""u8) ? throw new InvalidInputException(field + ".url", "is required") : url;
    }
}
