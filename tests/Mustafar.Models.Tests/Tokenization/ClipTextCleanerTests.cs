using Mustafar.Models.Tokenization;

namespace Mustafar.Models.Tests.Tokenization;

/// <summary>The BasicTokenizer clean-up and CLIP word split, checked on inputs whose Python results are known.</summary>
public sealed class ClipTextCleanerTests
{
    [Theory]
    [InlineData("   multiple    spaces\tand\nnewlines  ", "multiple spaces and newlines")]
    [InlineData("中文 日本語", "中 文 日 本 語")]
    [InlineData("A\u0000B\u200Dc\uFFFD", "abc")]
    [InlineData("ÀÉÎ", "àéî")]
    [InlineData("ΟΔΟΣ ΣΑ", "οδος σα")]
    [InlineData("İ", "i\u0307")]
    public void Cleaning_matches_python(string text, string expected) => Assert.Equal(expected, ClipTextCleaner.Clean(text));

    [Fact]
    public void Words_split_like_the_clip_regex()
    {
        const string text = "don't <|endoftext|>x 42?!'s 𝐀b";
        var words = ClipPreTokenizer.Split(text).Select(w => text.Substring(w.Offset, w.Length)).ToArray();
        Assert.Equal(["don", "'t", "<|endoftext|>", "x", "4", "2", "?!'", "s", "𝐀b"], words);
    }
}
