using Mustafar.Eval.Items;

namespace Mustafar.Eval.Running;

/// <summary>An item with the model's answer and the scorer's verdict.</summary>
public sealed record ItemResult(EvalItem Item, string Answer, bool Correct);
