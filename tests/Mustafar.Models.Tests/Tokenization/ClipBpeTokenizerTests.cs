using System.Text.Json;
using Mustafar.Models.Tokenization;
using Mustafar.Tensors;
using Mustafar.Testing;

namespace Mustafar.Models.Tests.Tokenization;

/// <summary>Parity with transformers' CLIPTokenizer on every case of the clip_tokenizer fixture.</summary>
public sealed class ClipBpeTokenizerTests : IDisposable
{
    private readonly List<string> _folders = [];

    public void Dispose()
    {
        foreach (var folder in _folders) Directory.Delete(folder, recursive: true);
    }

    private static IEnumerable<JsonElement> Cases() => ReferenceFixtures.Case("clip_tokenizer").GetProperty("cases").EnumerateArray();

    private static long[] Longs(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt64()).ToArray();

    /// <summary>The fixture's vocabulary with SD 1.x special tokens: pad = &lt;|endoftext|&gt;, no "!" token.</summary>
    private string Sd1Folder(string sd2Folder)
    {
        var folder = RepoPaths.NewTempFolder("clip-sd1-tokenizer");
        _folders.Add(folder);
        File.Copy(Path.Combine(sd2Folder, "vocab.json"), Path.Combine(folder, "vocab.json"));
        File.Copy(Path.Combine(sd2Folder, "merges.txt"), Path.Combine(folder, "merges.txt"));
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"),
            """{"model_max_length": 77, "bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>", "pad_token": "<|endoftext|>"}""");
        return folder;
    }

    [SkippableFact]
    public void Unpadded_ids_match_transformers_for_every_case()
    {
        var tokenizer = ClipBpeTokenizer.Load(ReferenceFixtures.Require("clip_tokenizer"));
        var failures = Cases()
            .Select(c => (Text: c.GetProperty("text").GetString()!, Expected: Longs(c.GetProperty("ids")),
                          Actual: tokenizer.EncodeUnpadded(c.GetProperty("text").GetString()!).Select(i => (long)i).ToArray()))
            .Where(c => !c.Expected.SequenceEqual(c.Actual))
            .Select(c => $"'{c.Text}': expected [{string.Join(",", c.Expected)}] got [{string.Join(",", c.Actual)}]")
            .ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(Cases().Count() > 0);
    }

    [SkippableFact]
    public void Sd2_padding_truncation_and_attention_mask_match()
    {
        var tokenizer = ClipBpeTokenizer.Load(ReferenceFixtures.Require("clip_tokenizer"));
        Assert.Equal(0, tokenizer.PadId);
        foreach (var c in Cases())
        {
            var text = c.GetProperty("text").GetString()!;
            var encoded = tokenizer.Encode(text, truncate: true);
            Assert.Equal(Longs(c.GetProperty("ids_padded_sd2")), encoded.Ids);
            Assert.Equal(Longs(c.GetProperty("attention_mask_sd2")), encoded.AttentionMask);
            var unpadded = c.GetProperty("num_ids").GetInt32();
            Assert.Equal(unpadded > tokenizer.MaxLength, encoded.Truncated);
            Assert.Equal(Math.Min(unpadded, tokenizer.MaxLength), encoded.TokenCount);
        }
    }

    [SkippableFact]
    public void Sd1_tokenizer_pads_with_eos_and_merges_exclamation_marks()
    {
        var tokenizer = ClipBpeTokenizer.Load(Sd1Folder(ReferenceFixtures.Require("clip_tokenizer")));
        Assert.Equal(tokenizer.EosId, tokenizer.PadId);
        foreach (var c in Cases())
        {
            var text = c.GetProperty("text").GetString()!;
            Assert.Equal(Longs(c.GetProperty("ids_sd1_unpadded")), tokenizer.EncodeUnpadded(text).Select(i => (long)i));
            Assert.Equal(Longs(c.GetProperty("ids_padded_sd1")), tokenizer.Encode(text, truncate: true).Ids);
        }
    }

    [SkippableFact]
    public void Truncation_keeps_bos_the_first_tokens_and_eos()
    {
        var tokenizer = ClipBpeTokenizer.Load(ReferenceFixtures.Require("clip_tokenizer"));
        var longText = string.Join(' ', Enumerable.Repeat("cat", tokenizer.MaxLength * 2));
        var full = tokenizer.EncodeUnpadded(longText);
        var truncated = tokenizer.Encode(longText, truncate: true);
        Assert.True(truncated.Truncated);
        Assert.Equal(tokenizer.MaxLength, truncated.TokenCount);
        Assert.Equal(full.Take(tokenizer.MaxLength - 1).Select(i => (long)i), truncated.Ids.Take(tokenizer.MaxLength - 1));
        Assert.Equal(tokenizer.EosId, truncated.Ids[^1]);
    }

    [SkippableFact]
    public void A_prompt_that_does_not_fit_is_refused_naming_the_field()
    {
        var tokenizer = ClipBpeTokenizer.Load(ReferenceFixtures.Require("clip_tokenizer"));
        var longText = string.Join(' ', Enumerable.Repeat("cat", tokenizer.MaxLength));
        var error = Assert.Throws<InvalidInputException>(() => tokenizer.Encode(longText, truncate: false));
        Assert.Equal("prompt", error.Field);
        Assert.Contains($"{tokenizer.MaxLength}", error.Reason, StringComparison.Ordinal);
    }
}
