using System.Globalization;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace Mustafar.Models.Tokenization;

/// <summary>
/// The text clean-up transformers' CLIPTokenizer applies when ftfy is not installed (the common case, and the
/// reference's): BasicTokenizer(strip_accents=False, do_split_on_punc=False). It drops NUL, U+FFFD and control
/// characters, turns whitespace into spaces, puts spaces around CJK ideographs, NFC-normalizes, splits on
/// whitespace, lower-cases each word as Python's <c>str.lower</c> does and joins the words with single spaces.
/// </summary>
internal sealed class ClipTextCleaner : Normalizer
{
    public static ClipTextCleaner Instance { get; } = new();

    public override string Normalize(string original) => Clean(original);

    public override string Normalize(ReadOnlySpan<char> original) => Clean(original.ToString());

    public static string Clean(string text)
    {
        var spaced = new StringBuilder(text.Length + 8);
        foreach (var rune in text.EnumerateRunes())
        {
            // Lone surrogates enumerate as U+FFFD and are dropped with it, as Python drops them as category Cs.
            if (rune.Value is 0 or 0xFFFD || IsControl(rune)) continue;
            if (IsWhitespace(rune)) spaced.Append(' ');
            else if (IsCjkIdeograph(rune.Value)) spaced.Append(' ').Append(rune.ToString()).Append(' ');
            else spaced.Append(rune.ToString());
        }
        // NFC needs ICU; under InvariantGlobalization .NET leaves non-ASCII text as it is, so decomposed input
        // (rare: typed text is almost always composed already) keeps its combining marks.
        var composed = spaced.ToString().Normalize(NormalizationForm.FormC);
        var words = composed.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        return string.Join(' ', words.Select(PythonCase.Lower));
    }

    private static bool IsControl(Rune rune)
    {
        if (rune.Value is '\t' or '\n' or '\r') return false;
        return Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;
    }

    private static bool IsWhitespace(Rune rune) =>
        rune.Value is ' ' or '\t' or '\n' or '\r' || Rune.GetUnicodeCategory(rune) == UnicodeCategory.SpaceSeparator;

    /// <summary>The CJK Unified Ideographs blocks BERT's BasicTokenizer treats as words of their own.</summary>
    private static bool IsCjkIdeograph(int cp) =>
        cp is (>= 0x4E00 and <= 0x9FFF) or (>= 0x3400 and <= 0x4DBF) or (>= 0x20000 and <= 0x2A6DF)
            or (>= 0x2A700 and <= 0x2B73F) or (>= 0x2B740 and <= 0x2B81F) or (>= 0x2B820 and <= 0x2CEAF)
            or (>= 0xF900 and <= 0xFAFF) or (>= 0x2F800 and <= 0x2FA1F);
}
