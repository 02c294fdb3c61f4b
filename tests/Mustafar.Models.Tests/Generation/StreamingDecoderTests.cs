using Mustafar.CheckpointWriters;
using Mustafar.Models.Tokenization;

namespace Mustafar.Models.Tests.Generation;

/// <summary>The streaming decoder releases whole characters only and handles SentencePiece's dummy-prefix space.</summary>
public sealed class StreamingDecoderTests
{
    private static readonly LlamaTextTokenizer Tokenizer = new(LlamaTinySentencePiece.Build(500).ToBytes(), new LlamaTokenizerSettings());

    private static int ByteId(byte b) => 3 + b;

    [Fact]
    public void A_character_split_over_byte_pieces_comes_out_whole_with_its_last_byte()
    {
        var decoder = new LlamaStreamingDecoder(Tokenizer);
        var cat = "🐱"u8.ToArray();
        var deltas = cat.Select(b => decoder.Push(ByteId(b))).ToList();
        Assert.Equal(["", "", "", "🐱"], deltas);
        Assert.Equal("", decoder.Flush());
    }

    [Fact]
    public void The_first_pieces_dummy_space_is_dropped_and_later_spaces_kept()
    {
        var ids = Tokenizer.Encode("Hello world, what is this").Skip(1).ToList();
        var decoder = new LlamaStreamingDecoder(Tokenizer);
        var text = string.Concat(ids.Select(decoder.Push)) + decoder.Flush();
        Assert.Equal("Hello world, what is this", text);
        Assert.StartsWith("\u2581", Tokenizer.PieceOf(ids[0]), StringComparison.Ordinal);
    }

    [Fact]
    public void Control_tokens_are_skipped_and_a_truncated_character_becomes_a_replacement_at_the_end()
    {
        var decoder = new LlamaStreamingDecoder(Tokenizer);
        Assert.Equal("", decoder.Push(Tokenizer.BosId));
        var e = "é"u8.ToArray();
        Assert.Equal("", decoder.Push(ByteId(e[0])));
        Assert.Equal("\uFFFD", decoder.Flush());
    }

    [Fact]
    public void Invalid_bytes_become_replacement_characters_without_swallowing_what_follows()
    {
        var decoder = new LlamaStreamingDecoder(Tokenizer);
        var text = decoder.Push(ByteId(0x80)) + decoder.Push(ByteId((byte)'A')) + decoder.Flush();
        Assert.Equal("\uFFFDA", text);
    }
}
