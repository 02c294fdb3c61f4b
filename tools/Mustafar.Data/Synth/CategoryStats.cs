namespace Mustafar.Data.Synth;

/// <summary>One question type of a set: how many items, how often each answer is right, and two chance levels.</summary>
/// <param name="UniformChance">A guess uniform over the options one question offers: colour 1/6, shape 1/3,
/// count 1/5 (zero..four), position 1/2 (left/right or top/bottom), relation 1/2.</param>
/// <param name="MajorityChance">Always giving this set's most frequent answer among the question's options (for
/// position, one answer for left/right and one for top/bottom questions): the best blind constant answer, which
/// matters for count, whose answers are far from uniform.</param>
public sealed record CategoryStats(string Category, int Items, IReadOnlyList<(string Answer, int Items)> Answers, double UniformChance, double MajorityChance);
