using Mustafar.Models.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Mustafar.Models.Generation;

/// <summary>Builds <see cref="LlavaForConditionalGeneration"/> from a checkpoint folder's config.json, in the target
/// dtype and on the target device, and loads its (single or sharded) safetensors strictly.</summary>
public static class GeneratorWeights
{
    public static (LlavaForConditionalGeneration Model, LoadReport Report) Load(string folder, ScalarType dtype, Device device)
    {
        var config = GeneratorCheckpointConfig.Parse(HfConfig.Load(Path.Combine(folder, "config.json")));
        var model = Build(config, dtype, device);
        try
        {
            using var checkpoint = SafetensorsCheckpoint.Open(folder);
            var report = StateDictLoader.Load(model, checkpoint, config.KeyMapping());
            model.eval();
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
    public static LlavaForConditionalGeneration Build(GeneratorCheckpointConfig config, ScalarType dtype, Device device)
    {
        if (dtype is not (ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float64))
            throw new ArgumentException($"{dtype} is not a floating-point compute dtype", nameof(dtype));
        using var _ = no_grad();
        return new LlavaForConditionalGeneration(config, device, dtype);
    }
}
