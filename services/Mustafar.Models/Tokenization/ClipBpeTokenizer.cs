using Microsoft.ML.Tokenizers;
using Mustafar.Tensors;

namespace Mustafar.Models.Tokenization;

/// <summary>Token ids of one prompt, ready for the text encoder.</summary>
/// <param name="Ids">Exactly <see cref="ClipBpeTokenizer.MaxLength"/> ids: BOS, the text, EOS, then padding.</param>
/// <param name="AttentionMask">1 for BOS..EOS, 0 for padding (Stable Diffusion does not pass it to the encoder).</param>
/// <param name="TokenCount">BOS + text + EOS before padding, after truncation.</param>
/// <param name="Truncated">Whether text tokens were cut to fit.</param>
public sealed record ClipTokenization(long[] Ids, long[] AttentionMask, int TokenCount, bool Truncated);

/// <summary>
/// transformers' CLIPTokenizer as Stable Diffusion uses it (the reference's no-ftfy path): added tokens are split
/// out of the raw text first, each remaining piece is cleaned (<see cref="ClipTextCleaner"/>), split into words
/// (<see cref="ClipPreTokenizer"/>), mapped to byte-level characters and BPE-merged with the "&lt;/w&gt;"
/// end-of-word suffix by Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/>. BOS and EOS are added, long text is
/// refused or truncated to BOS + first (max - 2) tokens + EOS, and the result is padded with the checkpoint's pad
/// token (SD 2.x: "!" = 0; SD 1.x: &lt;|endoftext|&gt;).
/// </summary>
public sealed class ClipBpeTokenizer
{
    private readonly BpeTokenizer _bpe;
    private readonly ClipAddedTokens _added;

    public int MaxLength { get; }
    public int BosId { get; }
    public int EosId { get; }
    public int PadId { get; }
    public string PadToken { get; }
    public int VocabularySize { get; }

    private ClipBpeTokenizer(ClipTokenizerFiles files, int maxLength)
    {
        int IdOf(string token) =>
            files.Vocabulary.TryGetValue(token, out var id) ? id
            : files.AddedTokens.FirstOrDefault(t => t.Content == token)?.Id
              ?? throw new InvalidDataException($"{files.Folder}: special token '{token}' is neither in vocab.json nor in added_tokens_decoder");

        _bpe = BpeTokenizer.Create(new BpeOptions(files.Vocabulary)
        {
            Merges = files.Merges,
            Normalizer = ClipTextCleaner.Instance,
            PreTokenizer = ClipPreTokenizer.Instance,
            ByteLevel = true,
            EndOfWordSuffix = "</w>",
            UnknownToken = files.UnkToken,
        });
        BosId = IdOf(files.BosToken);
        EosId = IdOf(files.EosToken);
        PadId = IdOf(files.PadToken);
        PadToken = files.PadToken;
        MaxLength = maxLength;
        VocabularySize = Math.Max(files.Vocabulary.Values.Max(), files.AddedTokens.Select(t => t.Id).DefaultIfEmpty(0).Max()) + 1;

        // transformers splits out every special token and every added token.
        var specials = new[] { files.BosToken, files.EosToken, files.UnkToken, files.PadToken }
            .Where(t => files.AddedTokens.All(a => a.Content != t))
            .Select(t => new ClipAddedToken(t, IdOf(t)));
        _added = new ClipAddedTokens(files.AddedTokens.Concat(specials));
    }

    /// <summary>Loads a tokenizer folder. The context length is the config's model_max_length, capped by
    /// <paramref name="maxLength"/> (the text encoder's max_position_embeddings) when given.</summary>
    public static ClipBpeTokenizer Load(string folder, int? maxLength = null)
    {
        var files = ClipTokenizerFiles.Load(folder);
        var length = (files.ModelMaxLength, maxLength) switch
        {
            ({ } configured, { } cap) => Math.Min(configured, cap),
            ({ } configured, null) => configured,
            (null, { } cap) => cap,
            _ => throw new InvalidDataException($"{folder}: tokenizer_config.json has no model_max_length and no text-encoder limit was given"),
        };
        if (length < 2) throw new InvalidDataException($"{folder}: a context of {length} tokens cannot hold BOS and EOS");
        return new ClipBpeTokenizer(files, length);
    }

    /// <summary>BOS + text ids + EOS, neither truncated nor padded (transformers' <c>tokenizer(text)</c>).</summary>
    public List<int> EncodeUnpadded(string text)
    {
        var ids = new List<int> { BosId };
        foreach (var piece in _added.Split(text))
        {
            if (piece.Token is { } token) ids.Add(token.Id);
            else ids.AddRange(_bpe.EncodeToIds(piece.Text));
        }
        ids.Add(EosId);
        return ids;
    }

    /// <summary>Ids padded to <see cref="MaxLength"/>. Text that does not fit fails with an
    /// <see cref="InvalidInputException"/> on <paramref name="field"/> unless <paramref name="truncate"/> is set.</summary>
    public ClipTokenization Encode(string text, bool truncate, string field = "prompt")
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = EncodeUnpadded(text);
        var truncated = ids.Count > MaxLength;
        if (truncated)
        {
            if (!truncate)
                throw new InvalidInputException(field,
                    $"the prompt is {ids.Count} tokens with BOS and EOS, more than the text encoder's {MaxLength}; shorten it or ask for truncation");
            ids = [.. ids.Take(MaxLength - 1), EosId];
        }
        var padded = new long[MaxLength];
        var mask = new long[MaxLength];
        for (var i = 0; i < MaxLength; i++)
        {
            padded[i] = i < ids.Count ? ids[i] : PadId;
            mask[i] = i < ids.Count ? 1 : 0;
        }
        return new ClipTokenization(padded, mask, ids.Count, truncated);
    }
}
