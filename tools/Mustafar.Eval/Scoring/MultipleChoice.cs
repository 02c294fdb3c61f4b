using System.Text.RegularExpressions;
using Mustafar.Eval.Items;

namespace Mustafar.Eval.Scoring;

/// <summary>Which option an answer picks, in the order lmms-eval's and LLaVA's multiple-choice scripts try:
/// first the option letter at the start of the answer ("B", "(b)", "B.", "b) Closed", "B: Closed"; a letter that
/// starts a word, as in "A red car", is not one), then the option text: the normalised answer equal to one option's
/// normalised text, else containing exactly one option's text as whole words. Anything else picks nothing.</summary>
public static partial class MultipleChoice
{
    [GeneratedRegex(@"^\s*\(?\s*([A-Za-z])\s*(?:\)|\.|:|$)")]
    private static partial Regex LeadingLetter();

    public static Choice? Pick(string answer, IReadOnlyList<Choice> choices)
    {
        if (LeadingLetter().Match(answer) is { Success: true } letter &&
            choices.FirstOrDefault(c => c.Label.Equals(letter.Groups[1].Value, StringComparison.OrdinalIgnoreCase)) is { } byLetter)
            return byLetter;

        var said = AnswerNormalizer.Normalize(answer);
        if (said.Length == 0) return null;
        var texts = choices.Select(c => (Choice: c, Text: AnswerNormalizer.Normalize(c.Text))).Where(c => c.Text.Length > 0).ToList();
        if (texts.FirstOrDefault(c => c.Text == said).Choice is { } exact) return exact;
        var contained = texts.Where(c => ContainsWords($" {said} ", c.Text)).ToList();
        return contained.Count == 1 ? contained[0].Choice : null;
    }

    private static bool ContainsWords(string paddedAnswer, string words) =>
        paddedAnswer.Contains($" {words} ", StringComparison.Ordinal);
}
