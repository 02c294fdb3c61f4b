using Mustafar.Eval.Items;
using Mustafar.Eval.Running;

namespace Mustafar.Eval.Scoring;

/// <summary>Multiple choice (BLINK, MMVP's questions): right when the picked option is the expected label.</summary>
public class MultipleChoiceScorer : IScorer
{
    public virtual string Rule => "multiple choice: the option letter at the start of the answer, else the option text (see README)";

    public bool IsCorrect(EvalItem item, string answer) =>
        MultipleChoice.Pick(answer, item.Choices)?.Label.Equals(item.Expected, StringComparison.OrdinalIgnoreCase) == true;

    public virtual IReadOnlyList<Metric> Metrics(IReadOnlyList<ItemResult> results) => [];
}
