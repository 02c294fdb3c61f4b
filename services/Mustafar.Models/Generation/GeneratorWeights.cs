using Mustafar.Models.Common;
using Mustafar.Models.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Mustafar.Models.Generation;

/// <summary>Builds <see cref="LlavaForConditionalGeneration"/> from a checkpoint folder's config.json, in the target
/// dtype and on the target device, and loads its (single or sharded) safetensors strictly.</summary>
public static class GeneratorWeights
{
    public static (LlavaForConditionalGeneration Model, LoadReport Report) Load(string folder, Device device, ScalarType dtype)
    {
        var config = GeneratorCheckpointConfig.Parse(HfConfig.Load(Path.Combine(folder, "config.json")));
        var model = Build(config, device, dtype);
        try
        {
            using var checkpoint = SafetensorsCheckpoint.Open(folder);
            var report = StateDictLoader.Load(model, checkpoint, config.KeyMapping());
            return (model, report);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Constructs the modules directly in <paramref name="dtype"/> on <paramref name="device"/> (the meta device
    /// builds a 7B layout without memory, for key checks).</summary>
    public static LlavaForConditionalGeneration Build(GeneratorCheckpointConfig config, Device device, ScalarType dtype) =>
        ModuleBuild.Build(device, dtype, (d, t) => new LlavaForConditionalGeneration(config, d, t));
}
