using Mustafar.Models.Imaging;

namespace Mustafar.Models.Clip;

/// <summary>The feature settings a checkpoint implies, used when a request leaves them unset.</summary>
/// <param name="SelectLayer">Index into hidden_states, negative from the end.</param>
public sealed record ClipVisionDefaults(int SelectLayer, ClipFeatureSelect SelectFeature, AspectFit Aspect)
{
    /// <summary>LLaVA-1.5's settings (layer -2, patch tokens, pad to square): used for a bare CLIP checkpoint,
    /// which carries no LLaVA settings of its own, because LLaVA-1.5 is the model this encoder feeds.</summary>
    public static ClipVisionDefaults Llava15 { get; } = new(-2, ClipFeatureSelect.Patch, AspectFit.Pad);
}
