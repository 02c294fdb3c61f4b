using Mustafar.Models.Generation;
using Mustafar.Models.Tokenization;

namespace Mustafar.Train.Data;

/// <summary>
/// Tokenizes a LLaVA conversation with the generator's own conversation template and tokenizer, so that a training
/// prompt is the prompt the generator builds when serving. The whole conversation is tokenized as the template lays
/// it out; for every gpt turn k, the serving prompt of the conversation up to human turn k (ending "ASSISTANT:")
/// must be a prefix of it, and the tokens from there up to and including the template's end-of-sequence token are
/// that turn's targets. Everything else (system line, user turns, the image placeholder) is masked, as in LLaVA.
/// </summary>
public sealed class ConversationTokenizer(LlamaTextTokenizer tokenizer, ConversationTemplate template, ImagePromptTokenization style, int imageTokenId)
{
    public TrainingSequence Tokenize(LlavaSample sample)
    {
        var hasImage = sample.Image is not null;
        var messages = sample.Conversations
            .Select(t => new ConversationTurn(t.From == LlavaSample.Human ? ChatRole.User : ChatRole.Assistant, t.Value))
            .ToList();
        var full = Encode(FullConversation(messages, hasImage));
        var isTarget = new bool[full.Count];
        for (var turn = 1; turn < messages.Count; turn += 2)
        {
            var prompt = Encode(template.Build(messages.Take(turn).ToList(), hasImage, tokenizer.EosId));
            if (prompt.Count >= full.Count || !prompt.SequenceEqual(full.Take(prompt.Count)))
                throw new InvalidDataException(
                    $"sample {sample.Id}: the serving prompt before conversations[{turn}] does not tokenize as a prefix of the conversation; its answer cannot be aligned");
            var end = prompt.Count;
            while (end < full.Count && full[end] != tokenizer.EosId) end++;
            if (end == full.Count) throw new InvalidDataException($"sample {sample.Id}: conversations[{turn}] has no end-of-sequence token");
            for (var i = prompt.Count; i <= end; i++) isTarget[i] = true;
        }
        return new TrainingSequence(sample.Id, [.. full], isTarget, hasImage);
    }

    private IReadOnlyList<int> Encode(IReadOnlyList<LlamaPromptPart> parts) => tokenizer.Encode(parts, style, imageTokenId);

    /// <summary>The template's parts for the whole conversation: the prompt up to the last user turn (which ends
    /// "ASSISTANT:"), then the last answer and its end-of-sequence token, as the template writes earlier answers.</summary>
    private List<LlamaPromptPart> FullConversation(IReadOnlyList<ConversationTurn> messages, bool hasImage)
    {
        var parts = template.Build(messages.Take(messages.Count - 1).ToList(), hasImage, tokenizer.EosId).ToList();
        var last = parts[^1] as LlamaPromptPart.Text ?? throw new InvalidOperationException("the template's prompt ends in text");
        parts[^1] = new LlamaPromptPart.Text(last.Value + " " + messages[^1].Content);
        parts.Add(new LlamaPromptPart.Special(tokenizer.EosId));
        return parts;
    }
}
