using Mustafar.Models.Checkpoints;
using static TorchSharp.torch;

namespace Mustafar.Models.Diffusion;

/// <summary>Loads one component folder of a diffusers pipeline: config.json, then the weights in either base name
/// (single file or sharded), strictly through <see cref="StateDictLoader"/>.</summary>
internal static class ComponentLoader
{
    public static (T Model, LoadReport Report) Load<T>(string folder, Func<HfConfig, T> build, KeyMapping mapping,
        IReadOnlyList<string>? weightBaseNames = null) where T : nn.Module
    {
        var model = build(HfConfig.Load(Path.Combine(folder, "config.json")));
        try
        {
            using var checkpoint = SafetensorsCheckpoint.Open(folder, weightBaseNames);
            return (model, StateDictLoader.Load(model, checkpoint, mapping));
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
