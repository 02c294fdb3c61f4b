namespace Mustafar.Eval.Items;

/// <summary>One question of a benchmark, as it is asked: the prompt text (with the format's answer instruction), the
/// image, the expected answer and the categories it is counted in (GQA counts each question under its structural and
/// its semantic type).</summary>
public sealed record EvalItem(string Id, string Question, string Expected, IReadOnlyList<string> Categories, EvalImage Image)
{
    /// <summary>Options of a multiple-choice item; <see cref="Expected"/> is then the right option's label.</summary>
    public IReadOnlyList<Choice> Choices { get; init; } = [];

    /// <summary>Items that only count together (MMVP's image pairs); null when the item stands alone.</summary>
    public string? Group { get; init; }
}

/// <summary>One option of a multiple-choice question: its label as the benchmark prints it ("a", "B") and its text.</summary>
public sealed record Choice(string Label, string Text);
