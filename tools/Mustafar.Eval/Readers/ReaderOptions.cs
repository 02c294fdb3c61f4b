namespace Mustafar.Eval.Readers;

/// <summary>Where a benchmark lies and which part of it to ask.</summary>
/// <param name="Path">The benchmark file or folder, as its authors publish it.</param>
/// <param name="Images">The image folder, where the format keeps it apart (GQA, POPE, generic); null: the format's default.</param>
/// <param name="Subtasks">BLINK subtasks; null: the two the paper uses.</param>
/// <param name="Split">BLINK split (the test split's answers are hidden).</param>
/// <param name="PromptSuffix">Replaces the format's answer instruction appended to each question; null: the format's.</param>
public sealed record ReaderOptions(string Path, string? Images = null, IReadOnlyList<string>? Subtasks = null, string Split = "val", string? PromptSuffix = null);
