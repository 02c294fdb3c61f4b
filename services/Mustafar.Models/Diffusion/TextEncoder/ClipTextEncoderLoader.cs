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
        return ModuleFactory.Build(device, dtype, () => new ClipTextModel(parsed));
    }

    public static (ClipTextModel Model, LoadReport Report) Load(string folder, Device device, ScalarType dtype)
    {
        var model = Build(HfConfig.Load(Path.Combine(folder, "config.json")), device, dtype);
        try
        {
            using var checkpoint = SafetensorsCheckpoint.Open(folder);
            return (model, StateDictLoader.Load(model, checkpoint, Mapping));
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
