using Mustafar.Models.Tokenization;
using Mustafar.Tensors;

namespace Mustafar.Models.Generation;

/// <summary>
/// LLaVA's Vicuna conversation format (<c>SeparatorStyle.TWO</c>): the system line, then
/// "USER: {question} ASSISTANT: {answer}&lt;/s&gt;" per turn, ending "ASSISTANT:". <c>vicuna_v1</c> is what LLaVA-1.5 was
/// trained and evaluated with (eval scripts use <c>--conv-mode vicuna_v1</c>); <c>llava_v1</c> differs only in its
/// system line and is what LLaVA's CLI picks for v1 models. The image placeholder goes where the user wrote
/// "&lt;image&gt;", or, as LLaVA does, as "&lt;image&gt;\n" in front of the first user turn.
/// </summary>
public sealed class ConversationTemplate
{
    public static ConversationTemplate VicunaV1 { get; } = new("vicuna_v1",
        "A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, detailed, and polite answers to the user's questions.");

    public static ConversationTemplate LlavaV1 { get; } = new("llava_v1",
        "A chat between a curious human and an artificial intelligence assistant. The assistant gives helpful, detailed, and polite answers to the human's questions.");

    private const string UserRole = "USER";
    private const string AssistantRole = "ASSISTANT";

    public string Name { get; }
    public string SystemLine { get; }

    private ConversationTemplate(string name, string systemLine)
    {
        Name = name;
        SystemLine = systemLine;
    }

    public static ConversationTemplate Get(string name) => name switch
    {
        "vicuna_v1" => VicunaV1,
        "llava_v1" => LlavaV1,
        _ => throw new NotSupportedException($"conversation template '{name}' is not one of vicuna_v1, llava_v1"),
    };

    /// <summary>Builds the prompt as text and the template's own "&lt;/s&gt;" separators. Validates the conversation
    /// (field names as in the generator proto): a system turn only first, then user and assistant alternating from a
    /// user turn to a final user turn, no empty turn, at most one "&lt;image&gt;", only in a user turn, and only when
    /// the request carries an image.</summary>
    public IReadOnlyList<LlamaPromptPart> Build(IReadOnlyList<ConversationTurn> messages, bool hasImage, int eosId)
    {
        if (messages.Count == 0) throw new InvalidInputException("messages", "the conversation is empty");
        var system = SystemLine;
        var start = 0;
        if (messages[0].Role == ChatRole.System)
        {
            system = messages[0].Content;
            start = 1;
        }
        var turns = messages.Skip(start).ToList();
        if (turns.Count == 0) throw new InvalidInputException("messages", "the conversation has no user turn");
        var placeholders = 0;
        for (var i = 0; i < turns.Count; i++)
        {
            var field = $"messages[{i + start}]";
            var expected = i % 2 == 0 ? ChatRole.User : ChatRole.Assistant;
            if (turns[i].Role != expected)
                throw new InvalidInputException($"{field}.role",
                    turns[i].Role == ChatRole.System ? "a system turn may only come first" : $"expected a {expected.ToString().ToLowerInvariant()} turn (turns alternate, starting and ending with the user)");
            if (string.IsNullOrWhiteSpace(turns[i].Content)) throw new InvalidInputException($"{field}.content", "is empty");
            var count = Occurrences(turns[i].Content);
            if (count > 0 && turns[i].Role != ChatRole.User)
                throw new InvalidInputException($"{field}.content", $"only a user turn may hold the image placeholder {LlamaTextTokenizer.ImagePlaceholder}");
            placeholders += count;
        }
        if (turns.Count % 2 == 0) throw new InvalidInputException("messages", "the last turn must be the user's");
        if (placeholders > 1)
            throw new InvalidInputException("messages", $"at most one {LlamaTextTokenizer.ImagePlaceholder} placeholder per conversation, found {placeholders}");
        if (placeholders == 1 && !hasImage)
            throw new InvalidInputException("messages", $"a turn holds {LlamaTextTokenizer.ImagePlaceholder} but the request carries no image features");
        if (Occurrences(system) > 0)
            throw new InvalidInputException($"messages[0].content", $"the system turn may not hold {LlamaTextTokenizer.ImagePlaceholder}");

        var builder = new PartsBuilder();
        builder.Text(system + " ");
        for (var i = 0; i < turns.Count; i++)
        {
            var content = turns[i].Content;
            if (i == 0 && hasImage && placeholders == 0) content = LlamaTextTokenizer.ImagePlaceholder + "\n" + content;
            if (i % 2 == 0)
            {
                builder.Text($"{UserRole}: ");
                builder.TextWithImage(content);
                builder.Text(" ");
            }
            else
            {
                builder.Text($"{AssistantRole}: {content}");
                builder.Special(eosId);
            }
        }
        builder.Text($"{AssistantRole}:");
        return builder.Parts;
    }

    private static int Occurrences(string text)
    {
        var count = 0;
        for (var at = text.IndexOf(LlamaTextTokenizer.ImagePlaceholder, StringComparison.Ordinal); at >= 0;
             at = text.IndexOf(LlamaTextTokenizer.ImagePlaceholder, at + 1, StringComparison.Ordinal))
            count++;
        return count;
    }

    /// <summary>Collects parts, merging adjacent text so tokenization sees the same chunks as transformers would.</summary>
    private sealed class PartsBuilder
    {
        public List<LlamaPromptPart> Parts { get; } = [];

        public void Text(string text)
        {
            if (Parts.Count > 0 && Parts[^1] is LlamaPromptPart.Text previous) Parts[^1] = new LlamaPromptPart.Text(previous.Value + text);
            else Parts.Add(new LlamaPromptPart.Text(text));
        }

        public void TextWithImage(string text)
        {
            var pieces = text.Split(LlamaTextTokenizer.ImagePlaceholder);
            for (var i = 0; i < pieces.Length; i++)
            {
                if (i > 0) Parts.Add(new LlamaPromptPart.Image());
                Text(pieces[i]);
            }
        }

        public void Special(int id) => Parts.Add(new LlamaPromptPart.Special(id));
    }
}
