namespace Mustafar.Models.KernelChecks;

/// <summary>A module that runs scaled-dot-product attention, and the head geometry it runs it at, so that the
/// kernel self-check can probe SDPA at the model's own shapes.</summary>
internal interface IAttentionHeads
{
    long Heads { get; }

    long HeadDim { get; }
}
