using System.Text;
using Microsoft.ML.Tokenizers;

namespace Mustafar.Models.Tokenization;

/// <summary>
/// The Llama SentencePiece tokenizer with transformers' (slow <c>LlamaTokenizer</c>) semantics: BOS handling, special
/// tokens written in the text, the <c>legacy</c> flag, added tokens (llava-hf's "&lt;image&gt;"), and LLaVA's
/// per-chunk tokenization around the image placeholder. The BPE itself is Microsoft.ML.Tokenizers' LlamaTokenizer,
/// fed text this class has already normalised (spaces escaped to "▁", dummy prefix where transformers puts one).
/// Decoding (<see cref="Decode"/>, <see cref="LlamaStreamingDecoder"/>) works from the pieces' kinds in the model file.
/// Immutable and thread-safe.
/// </summary>
public sealed class LlamaTextTokenizer
{
    private const char SpaceMark = '\u2581';

    private readonly LlamaTokenizer _bpe;
    private readonly LlamaSentencePieceModel _model;
    private readonly (string Text, int Id)[] _specialStrings;
    private readonly HashSet<int> _specialIds;
    private readonly byte[][] _decodeBytes;
    private readonly bool[] _hasDummySpace;
    private readonly int _spaceId;

    public LlamaTokenizerSettings Settings { get; }
    public int BosId => _model.BosId;
    public int EosId => _model.EosId;
    public int UnkId => _model.UnkId;
    /// <summary>Pieces in tokenizer.model.</summary>
    public int PieceCount => _model.Pieces.Count;
    /// <summary>Ids this tokenizer knows: the pieces plus added tokens.</summary>
    public int VocabSize => _decodeBytes.Length;

    public LlamaTextTokenizer(byte[] modelBytes, LlamaTokenizerSettings settings, string source = "tokenizer.model")
    {
        _model = LlamaSentencePieceModel.Parse(modelBytes, source);
        if (_model.HasPrecompiledCharsMap || _model.TreatWhitespaceAsSuffix)
            throw new NotSupportedException($"{source}: SentencePiece normalization rules and whitespace-as-suffix are not supported (Llama tokenizers use neither)");
        using (var stream = new MemoryStream(modelBytes))
            _bpe = LlamaTokenizer.Create(stream, addBeginOfSentence: false, addEndOfSentence: false);
        Settings = settings;

        var specials = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var id in new[] { _model.UnkId, _model.BosId, _model.EosId, _model.PadId })
            if (id >= 0 && id < _model.Pieces.Count) specials[_model.Pieces[id].Piece] = id;
        foreach (var token in settings.AddedTokens) specials[token.Content] = token.Id;
        // Longest first, so that the first match at a position is the longest (transformers' trie does the same).
        _specialStrings = [.. specials.Select(kv => (kv.Key, kv.Value)).OrderByDescending(s => s.Key.Length)];
        // transformers' all_special_ids: unk, bos, eos, pad and the added tokens marked special.
        _specialIds = [.. new[] { _model.UnkId, _model.BosId, _model.EosId, _model.PadId }.Where(id => id >= 0)];
        foreach (var token in settings.AddedTokens.Where(t => t.Special)) _specialIds.Add(token.Id);

        var size = Math.Max(_model.Pieces.Count, settings.AddedTokens.Count == 0 ? 0 : settings.AddedTokens.Max(t => t.Id) + 1);
        _decodeBytes = new byte[size][];
        _hasDummySpace = new bool[size];
        for (var id = 0; id < size; id++) _decodeBytes[id] = [];
        for (var id = 0; id < _model.Pieces.Count; id++)
        {
            var piece = _model.Pieces[id];
            _decodeBytes[id] = piece.Type switch
            {
                SentencePieceType.Normal or SentencePieceType.UserDefined => LlamaSentencePieceModel.TextBytesOf(piece),
                SentencePieceType.Byte => [LlamaSentencePieceModel.ByteOf(piece)],
                _ => [],
            };
            _hasDummySpace[id] = _model.AddDummyPrefix && piece.Type == SentencePieceType.Normal && piece.Piece.StartsWith(SpaceMark);
        }
        foreach (var token in settings.AddedTokens.Where(t => t.Id >= _model.Pieces.Count && !t.Special))
            _decodeBytes[token.Id] = Encoding.UTF8.GetBytes(token.Content);
        _spaceId = _bpe.Vocabulary.TryGetValue(SpaceMark.ToString(), out var space) ? space : -1;
    }

    /// <summary>Loads <c>tokenizer.model</c> and, when present, <c>tokenizer_config.json</c> / <c>added_tokens.json</c>.</summary>
    public static LlamaTextTokenizer Load(string folder)
    {
        var path = Path.Combine(folder, "tokenizer.model");
        if (!File.Exists(path)) throw new FileNotFoundException($"no SentencePiece tokenizer.model in '{folder}'", path);
        return new LlamaTextTokenizer(File.ReadAllBytes(path), LlamaTokenizerSettings.Load(folder), path);
    }

    /// <summary>The piece text of an id ("▁Hello", "&lt;0x0A&gt;", "&lt;image&gt;"), for logs and tests.</summary>
    public string PieceOf(int id) =>
        id >= 0 && id < _model.Pieces.Count ? _model.Pieces[id].Piece
        : Settings.AddedTokens.FirstOrDefault(t => t.Id == id)?.Content ?? throw new ArgumentOutOfRangeException(nameof(id), $"id {id} is not in the vocabulary");

    /// <summary>A token as OpenAI's logprobs show it: the bytes it adds to the text (the piece's own text for control
    /// and special tokens; nothing for an id the model has but the tokenizer lacks, as padded vocabularies do), and
    /// those bytes as text, or "bytes:\xNN..." when they are not whole UTF-8 characters (a byte-fallback piece). A
    /// piece's leading space is kept, as vLLM's tokens keep it.</summary>
    public (string Token, byte[] Bytes) TokenOf(int id)
    {
        var bytes = BytesOf(id).ToArray();
        if (bytes.Length == 0 && id >= 0 && id < VocabSize) bytes = Encoding.UTF8.GetBytes(PieceOf(id));
        return System.Text.Unicode.Utf8.IsValid(bytes)
            ? (Encoding.UTF8.GetString(bytes), bytes)
            : ("bytes:" + string.Concat(bytes.Select(b => $"\\x{b:x2}")), bytes);
    }

    /// <summary>transformers' <c>tokenizer(text).input_ids</c>: special tokens written in the text become their ids.</summary>
    public IReadOnlyList<int> Encode(string text) => EncodeParts(SplitSpecials(text), Settings.AddBos);

    /// <summary>Tokenizes a template's prompt. Parts hold text, the template's own special tokens and at most one image
    /// placeholder, which becomes <paramref name="imageTokenId"/> as <paramref name="style"/> dictates.</summary>
    public IReadOnlyList<int> Encode(IReadOnlyList<LlamaPromptPart> parts, ImagePromptTokenization style, int imageTokenId)
    {
        if (style == ImagePromptTokenization.AddedToken || !parts.Any(p => p is LlamaPromptPart.Image))
            return EncodeParts([.. parts.Select(p => p is LlamaPromptPart.Image ? new LlamaPromptPart.Special(imageTokenId) : p)], Settings.AddBos);

        // LLaVA's tokenizer_image_token: every chunk between placeholders is tokenized on its own, each chunk's
        // leading BOS dropped (the first chunk's kept once), one image id between chunks.
        var chunks = new List<List<LlamaPromptPart>> { new() };
        foreach (var part in parts)
            if (part is LlamaPromptPart.Image) chunks.Add([]);
            else chunks[^1].Add(part);
        var encoded = chunks.Select(c => EncodeParts(c, Settings.AddBos)).ToList();
        var offset = encoded[0].Count > 0 && encoded[0][0] == BosId ? 1 : 0;
        var ids = new List<int>();
        if (offset == 1) ids.Add(BosId);
        for (var i = 0; i < encoded.Count; i++)
        {
            if (i > 0) ids.Add(imageTokenId);
            ids.AddRange(encoded[i].Skip(offset));
        }
        return ids;
    }

    /// <summary>Tokenizes a prompt string that may hold one "&lt;image&gt;" placeholder (LLaVA's
    /// <c>tokenizer_image_token</c> for <see cref="ImagePromptTokenization.LlavaChunks"/>); special tokens written in
    /// the text become their ids, as in <see cref="Encode(string)"/>.</summary>
    public IReadOnlyList<int> EncodePrompt(string prompt, ImagePromptTokenization style, int imageTokenId)
    {
        var parts = new List<LlamaPromptPart>();
        var chunks = prompt.Split(ImagePlaceholder);
        for (var i = 0; i < chunks.Length; i++)
        {
            if (i > 0) parts.Add(new LlamaPromptPart.Image());
            parts.AddRange(SplitSpecials(chunks[i]));
        }
        return Encode(parts, style, imageTokenId);
    }

    /// <summary>The placeholder text LLaVA prompts use for the image.</summary>
    public const string ImagePlaceholder = "<image>";

    /// <summary>Decodes ids as <c>decode(ids, skip_special_tokens=True)</c> with SentencePiece's spacing (the dummy-prefix
    /// space of the first piece dropped); incomplete UTF-8 at the end becomes U+FFFD.</summary>
    public string Decode(IEnumerable<int> ids)
    {
        var decoder = new LlamaStreamingDecoder(this);
        var text = new StringBuilder();
        foreach (var id in ids) text.Append(decoder.Push(id));
        return text.Append(decoder.Flush()).ToString();
    }

    /// <summary>The bytes an id contributes to decoded text (empty for control, special and unknown ids).</summary>
    internal ReadOnlySpan<byte> BytesOf(int id) => id >= 0 && id < _decodeBytes.Length && !_specialIds.Contains(id) ? _decodeBytes[id] : [];

    /// <summary>Whether the id is a normal piece starting with the dummy-prefix space that decoding drops when the piece
    /// comes first.</summary>
    internal bool HasDummySpace(int id) => id >= 0 && id < _hasDummySpace.Length && _hasDummySpace[id];

    private List<LlamaPromptPart> SplitSpecials(string text)
    {
        var parts = new List<LlamaPromptPart>();
        var start = 0;
        for (var i = 0; i < text.Length;)
        {
            var match = _specialStrings.FirstOrDefault(s => text.AsSpan(i).StartsWith(s.Text, StringComparison.Ordinal));
            if (match.Text is null)
            {
                i++;
                continue;
            }
            if (i > start) parts.Add(new LlamaPromptPart.Text(text[start..i]));
            parts.Add(new LlamaPromptPart.Special(match.Id));
            i += match.Text.Length;
            start = i;
        }
        if (start < text.Length) parts.Add(new LlamaPromptPart.Text(text[start..]));
        return parts;
    }

    /// <summary>transformers' slow LlamaTokenizer over text already split at special tokens.</summary>
    private List<int> EncodeParts(IReadOnlyList<LlamaPromptPart> parts, bool addBos)
    {
        // transformers skips empty chunks between special tokens.
        parts = [.. parts.Where(p => p is not LlamaPromptPart.Text { Value.Length: 0 })];
        var tokens = new List<int>();
        if (Settings.Legacy)
        {
            // Every text chunk is a fresh sp.encode: each gets the dummy prefix.
            foreach (var part in parts) AddPart(tokens, part, dummyPrefix: true);
        }
        else
        {
            // legacy=False: "▁" goes in front of the whole text only, chunks are encoded as they are, and a lone "▁"
            // directly before a special token at the start is dropped.
            var prefixed = new List<LlamaPromptPart>(parts);
            if (prefixed.Count > 0 && Settings.AddPrefixSpace)
            {
                if (prefixed[0] is LlamaPromptPart.Text first) prefixed[0] = new LlamaPromptPart.Text(SpaceMark + first.Value);
                else prefixed.Insert(0, new LlamaPromptPart.Text(SpaceMark.ToString()));
            }
            foreach (var part in prefixed) AddPart(tokens, part, dummyPrefix: false);
            if (tokens.Count > 1 && tokens[0] == _spaceId && _specialIds.Contains(tokens[1])) tokens.RemoveAt(0);
        }
        if (addBos) tokens.Insert(0, BosId);
        if (Settings.AddEos) tokens.Add(EosId);
        return tokens;
    }

    private void AddPart(List<int> tokens, LlamaPromptPart part, bool dummyPrefix)
    {
        switch (part)
        {
            case LlamaPromptPart.Text text:
                tokens.AddRange(EncodeChunk(text.Value, dummyPrefix));
                break;
            case LlamaPromptPart.Special special:
                tokens.Add(special.Id);
                break;
            default:
                throw new ArgumentException("an image placeholder cannot be tokenized as text", nameof(part));
        }
    }

    /// <summary>SentencePiece's own normalisation (Llama: identity rules, no whitespace collapsing), then BPE.</summary>
    private IReadOnlyList<int> EncodeChunk(string text, bool dummyPrefix)
    {
        if (_model.RemoveExtraWhitespaces)
            text = string.Join(' ', text.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        if (text.Length == 0) return [];
        if (_model.EscapeWhitespaces) text = text.Replace(' ', SpaceMark);
        if (dummyPrefix && _model.AddDummyPrefix) text = SpaceMark + text;
        return _bpe.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false, considerPreTokenization: false, considerNormalization: false);
    }
}
