namespace Mustafar.Eval.Running;

/// <summary>A variant's run: the results in the benchmark's order (items that failed are missing), how many questions
/// were asked in this run (the rest came from the --out file) and the failures, which a resumed run asks again.</summary>
public sealed record RunOutcome(string Variant, IReadOnlyList<ItemResult> Results, int Asked, IReadOnlyList<ItemFailure> Failures);

/// <summary>An item the gateway did not answer, with why.</summary>
public sealed record ItemFailure(string Id, string Message);
