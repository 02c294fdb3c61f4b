using System.Text;

namespace Mustafar.Models.Tokenization;

/// <summary>
/// Turns generated ids into text as they arrive. Pieces become bytes (byte-fallback pieces one byte each), and
/// only complete UTF-8 characters are released: an emoji spread over four byte pieces comes out whole with the
/// fourth, never as replacement characters in between. The first piece's dummy-prefix space is dropped, as
/// SentencePiece and transformers' decode do. One decoder per sequence; not thread-safe.
/// </summary>
internal sealed class LlamaStreamingDecoder(LlamaTextTokenizer tokenizer)
{
    private readonly Decoder _utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();
    private bool _started;

    /// <summary>The text that <paramref name="id"/> completes (possibly empty).</summary>
    public string Push(int id)
    {
        var bytes = tokenizer.BytesOf(id);
        if (bytes.IsEmpty) return "";
        if (!_started)
        {
            _started = true;
            if (tokenizer.HasDummySpace(id)) bytes = bytes[1..];
        }
        return Decode(bytes, flush: false);
    }

    /// <summary>Releases what is held at the end of generation: an incomplete UTF-8 sequence becomes U+FFFD.</summary>
    public string Flush() => Decode([], flush: true);

    private string Decode(ReadOnlySpan<byte> bytes, bool flush)
    {
        var chars = new char[_utf8.GetCharCount(bytes, flush)];
        var count = _utf8.GetChars(bytes, chars, flush);
        return new string(chars, 0, count);
    }
}
