using System.Text;

namespace Mustafar.Eval.Scoring;

/// <summary>GQA's answer normalisation as lmms-eval applies it (exact match with ignore_case and ignore_punctuation,
/// Python's string.punctuation) plus the VQA evaluation's article removal (a, an, the), which also absorbs LLaVA's
/// rstrip('.'). Applied to both sides, so "The table." matches "table".</summary>
public static class AnswerNormalizer
{
    private static readonly HashSet<string> Articles = new(StringComparer.Ordinal) { "a", "an", "the" };

    public static string Normalize(string text)
    {
        var kept = new StringBuilder(text.Length);
        foreach (var c in text.ToLowerInvariant())
            if (!IsAsciiPunctuation(c)) kept.Append(char.IsWhiteSpace(c) ? ' ' : c);
        var words = kept.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => !Articles.Contains(w));
        return string.Join(' ', words);
    }

    /// <summary>Python's string.punctuation: the printable ASCII characters that are neither letters, digits nor space.</summary>
    private static bool IsAsciiPunctuation(char c) => c is >= '!' and <= '~' && !char.IsAsciiLetterOrDigit(c);
}
