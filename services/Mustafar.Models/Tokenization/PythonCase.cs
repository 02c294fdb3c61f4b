using System.Globalization;
using System.Text;

namespace Mustafar.Models.Tokenization;

/// <summary>Python's <c>str.lower()</c>: .NET's invariant simple case mapping plus the two rules where Python
/// differs: U+0130 (capital I with dot) becomes "i" + combining dot, and a capital sigma that ends a word
/// becomes the final form U+03C2.</summary>
internal static class PythonCase
{
    public static string Lower(string word)
    {
        var runes = word.EnumerateRunes().ToArray();
        var lower = new StringBuilder(word.Length);
        for (var i = 0; i < runes.Length; i++)
        {
            var rune = runes[i];
            if (rune.Value == 0x130) lower.Append("i\u0307");
            else if (rune.Value == 0x3A3) lower.Append(IsFinalSigma(runes, i) ? '\u03C2' : '\u03C3');
            else lower.Append(Rune.ToLowerInvariant(rune).ToString());
        }
        return lower.ToString();
    }

    // Unicode's Final_Sigma condition: a cased letter before (skipping case-ignorable characters) and none after.
    private static bool IsFinalSigma(Rune[] runes, int index)
    {
        bool CasedAt(int step)
        {
            for (var j = index + step; j >= 0 && j < runes.Length; j += step)
            {
                if (IsCaseIgnorable(runes[j])) continue;
                return IsCased(runes[j]);
            }
            return false;
        }
        return CasedAt(-1) && !CasedAt(+1);
    }

    private static bool IsCased(Rune rune) => Rune.GetUnicodeCategory(rune) is
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter;

    private static bool IsCaseIgnorable(Rune rune) =>
        rune.Value is '\'' or '.' or ':' or '\u00B7' or '\u2018' or '\u2019' or '\u2024' or '\u2027' ||
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark
            or UnicodeCategory.Format or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol;
}
