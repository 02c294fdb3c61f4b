namespace Mustafar.Data.Questions;

/// <summary>One question about a scene, its type and its single correct answer.</summary>
public sealed record SynthQuestion(string Category, string Text, string Answer);
