namespace Mustafar.Models.Tokenization;

/// <summary>
/// A piece of a prompt as a template builds it: text to tokenize, a special token the template inserts itself
/// (the "&lt;/s&gt;" separator), or the image placeholder. Keeping the template's specials apart from the text means
/// a user who types "&lt;/s&gt;" gets those characters, not an end-of-sequence token, while the ids stay exactly those
/// transformers produces for the same prompt string (it tokenizes the text between special tokens separately too).
/// </summary>
public abstract record LlamaPromptPart
{
    private LlamaPromptPart() { }

    /// <summary>Text, tokenized by SentencePiece.</summary>
    public sealed record Text(string Value) : LlamaPromptPart;

    /// <summary>A special token by id.</summary>
    public sealed record Special(int Id) : LlamaPromptPart;

    /// <summary>Where the visual tokens go.</summary>
    public sealed record Image : LlamaPromptPart;
}

/// <summary>How a prompt with an image placeholder is tokenized.</summary>
public enum ImagePromptTokenization
{
    /// <summary>The original LLaVA repo's <c>tokenizer_image_token</c>: the prompt is split at "&lt;image&gt;" and each
    /// chunk tokenized on its own (so the chunk after the image starts with its own dummy-prefix "▁"). What the
    /// liuhaotian checkpoints were trained with.</summary>
    LlavaChunks,

    /// <summary>llava-hf's processor: "&lt;image&gt;" is an added special token inside one tokenization of the prompt.</summary>
    AddedToken,
}
