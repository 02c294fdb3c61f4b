namespace Mustafar.Train.Lora;

/// <summary>
/// A LoRA adapter on the language model's linear projections (PEFT's LoraConfig, as LLaVA's <c>--lora_enable</c>
/// uses it): each targeted weight W gets W + (alpha / rank) * B A, with A [rank, in] and B [out, rank] trained and W
/// frozen. No dropout on the adapter's input: every step stays a function of (seed, step), so a resumed run equals a
/// straight one.
/// </summary>
public sealed record LoraSettings(int Rank, double Alpha, IReadOnlyList<string> TargetModules)
{
    /// <summary>Every linear projection of a LLaMA layer, as LLaVA's find_all_linear_names picks them.</summary>
    public static IReadOnlyList<string> AllLinear { get; } = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    public double Scale => Alpha / Rank;

    public void Validate()
    {
        if (Rank < 1) throw new ArgumentException("lora_rank: must be at least 1");
        if (!(Alpha > 0) || !double.IsFinite(Alpha)) throw new ArgumentException("lora_alpha: must be positive");
        if (TargetModules.Count == 0) throw new ArgumentException("lora_target_modules: name at least one projection");
        if (TargetModules.FirstOrDefault(t => !AllLinear.Contains(t)) is { } unknown)
            throw new ArgumentException($"lora_target_modules: '{unknown}' is not one of {string.Join(", ", AllLinear)}");
    }
}
