using Mustafar.Models.Common;
using Mustafar.Models.Checkpoints;
using static TorchSharp.torch;

namespace Mustafar.Models.Diffusion.TextEncoder;

/// <summary>Loads a diffusers pipeline's <c>text_encoder/</c> folder (transformers CLIPTextModel layout).</summary>
public static class ClipTextEncoderLoader
{
    /// <summary>Older transformers saved the non-persistent position_ids buffer; it is dropped as transformers does.</summary>
    public static KeyMapping Mapping { get; } = new() { IgnoreSuffixes = ["embeddings.position_ids"] };

    public static ClipTextModel Build(HfConfig config, Device device, ScalarType dtype)
    {
        var parsed = ClipTextConfig.From(config);
        return ModuleBuild.Build(device, dtype, (d, t) => new ClipTextModel(parsed, d, t));
    }

    public static (ClipTextModel Model, LoadReport Report) Load(string folder, Device device, ScalarType dtype,
        IReadOnlyList<string>? weightBaseNames = null) =>
        ComponentLoader.Load(folder, config => Build(config, device, dtype), Mapping, weightBaseNames);
}
