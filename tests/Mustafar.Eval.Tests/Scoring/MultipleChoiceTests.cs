using Mustafar.Eval.Items;
using Mustafar.Eval.Scoring;

namespace Mustafar.Eval.Tests.Scoring;

public sealed class MultipleChoiceTests
{
    private static readonly Choice[] Options = [new("A", "the red car"), new("B", "the blue car"), new("C", "neither")];

    [Theory]
    [InlineData("A", "A")]
    [InlineData("(b)", "B")]
    [InlineData("B.", "B")]
    [InlineData(" c) neither", "C")]
    [InlineData("B: the blue car", "B")]
    [InlineData("The blue car.", "B")]
    [InlineData("I think it is the red car", "A")]
    [InlineData("Neither", "C")]
    public void Picks_by_leading_letter_then_by_option_text(string answer, string label) =>
        Assert.Equal(label, MultipleChoice.Pick(answer, Options)?.Label);

    [Theory]
    [InlineData("A car")]            // a word that starts with an option letter is not the letter, and "car" is no whole option
    [InlineData("the red car or the blue car")]
    [InlineData("D")]
    [InlineData("")]
    public void Picks_nothing_when_the_answer_is_not_one_option(string answer) => Assert.Null(MultipleChoice.Pick(answer, Options));

    [Theory]
    [InlineData("The Table.", "table")]
    [InlineData("  an   apple!", "apple")]
    [InlineData("T-shirt", "tshirt")]
    public void Normalisation_lowercases_and_drops_punctuation_and_articles(string text, string normalised) =>
        Assert.Equal(normalised, AnswerNormalizer.Normalize(text));
}
