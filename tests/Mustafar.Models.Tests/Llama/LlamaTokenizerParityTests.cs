using System.Text.Json;
using Mustafar.Models.Tokenization;
using Mustafar.Testing;

namespace Mustafar.Models.Tests.Llama;

/// <summary>The Llama SentencePiece tokenizer against transformers' LlamaTokenizer and LLaVA's tokenizer_image_token
/// (fixture <c>llama_tokenizer/</c>): every case's ids, pieces and decoded text come from case.json.</summary>
public sealed class LlamaTokenizerParityTests
{
    // LLaVA's IMAGE_TOKEN_INDEX in the original repository.
    private const int LlavaImageTokenIndex = -200;

    private static (LlamaTextTokenizer Legacy, LlamaTextTokenizer NonLegacy, JsonElement[] Cases) Load()
    {
        var folder = ReferenceFixtures.Require("llama_tokenizer");
        var bytes = File.ReadAllBytes(Path.Combine(folder, "tokenizer.model"));
        var cases = ReferenceFixtures.Case("llama_tokenizer").GetProperty("cases").EnumerateArray().ToArray();
        return (new LlamaTextTokenizer(bytes, new LlamaTokenizerSettings { Legacy = true }),
                new LlamaTextTokenizer(bytes, new LlamaTokenizerSettings { Legacy = false }), cases);
    }

    private static int[] Ids(JsonElement c, string name) => [.. c.GetProperty(name).EnumerateArray().Select(e => e.GetInt32())];

    [SkippableFact]
    public void Ids_and_pieces_match_transformers_in_both_legacy_modes()
    {
        var (legacy, nonLegacy, cases) = Load();
        Assert.NotEmpty(cases);
        foreach (var c in cases)
        {
            var text = c.GetProperty("text").GetString()!;
            var ids = legacy.Encode(text);
            Assert.True(Ids(c, "ids_legacy_true").SequenceEqual(ids), $"case {c.GetProperty("index")}: legacy ids [{string.Join(",", ids)}]");
            Assert.Equal(c.GetProperty("pieces_legacy_true").EnumerateArray().Select(e => e.GetString()!), ids.Select(legacy.PieceOf));
            var nonLegacyIds = nonLegacy.Encode(text);
            Assert.True(Ids(c, "ids_legacy_false").SequenceEqual(nonLegacyIds), $"case {c.GetProperty("index")}: legacy=false ids [{string.Join(",", nonLegacyIds)}]");
        }
    }

    [SkippableFact]
    public void Text_outside_special_parsing_matches_plain_sentencepiece()
    {
        // How a template tokenizes what a user typed: "</s>" in it stays characters, as sentencepiece itself encodes it.
        var (legacy, _, cases) = Load();
        foreach (var c in cases)
        {
            var parts = new LlamaPromptPart[] { new LlamaPromptPart.Text(c.GetProperty("text").GetString()!) };
            Assert.Equal(Ids(c, "sentencepiece_encode_plus_bos"), legacy.Encode(parts, ImagePromptTokenization.LlavaChunks, LlavaImageTokenIndex));
        }
    }

    [SkippableFact]
    public void Llava_image_prompts_match_tokenizer_image_token_and_the_llava_hf_added_token()
    {
        var (legacy, nonLegacy, cases) = Load();
        var withImage = cases.Where(c => c.TryGetProperty("llava_tokenizer_image_token_ids", out _)).ToList();
        Assert.NotEmpty(withImage);
        foreach (var c in withImage)
        {
            var text = c.GetProperty("text").GetString()!;
            Assert.Equal(Ids(c, "llava_tokenizer_image_token_ids"), legacy.EncodePrompt(text, ImagePromptTokenization.LlavaChunks, LlavaImageTokenIndex));
            Assert.Equal(Ids(c, "llava_tokenizer_image_token_ids_legacy_false"), nonLegacy.EncodePrompt(text, ImagePromptTokenization.LlavaChunks, LlavaImageTokenIndex));

            // llava-hf registers "<image>" as an added special token right after the SentencePiece vocabulary.
            var addedId = nonLegacy.PieceCount;
            var llavaHf = new LlamaTextTokenizer(File.ReadAllBytes(Path.Combine(ReferenceFixtures.Require("llama_tokenizer"), "tokenizer.model")),
                new LlamaTokenizerSettings { Legacy = false, AddedTokens = [new LlamaAddedToken(addedId, LlamaTextTokenizer.ImagePlaceholder, Special: true)] });
            Assert.Equal(Ids(c, "llava_hf_added_token_ids"), llavaHf.Encode(text));
            Assert.Equal(Ids(c, "llava_hf_added_token_ids"), llavaHf.EncodePrompt(text, ImagePromptTokenization.AddedToken, addedId));
        }
    }

    [SkippableFact]
    public void Decoding_matches_sentencepiece_and_streams_whole_characters()
    {
        var (legacy, _, cases) = Load();
        foreach (var c in cases)
        {
            var ids = Ids(c, "ids_legacy_true");
            var expected = c.GetProperty("sentencepiece_decode").GetString()!;
            Assert.Equal(expected, legacy.Decode(ids));

            var decoder = new LlamaStreamingDecoder(legacy);
            var deltas = ids.Select(decoder.Push).Append(decoder.Flush()).ToList();
            Assert.Equal(expected, string.Concat(deltas));
            Assert.DoesNotContain(deltas, d => d.Contains('\uFFFD', StringComparison.Ordinal));
        }
    }
}
