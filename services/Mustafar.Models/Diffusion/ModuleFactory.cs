using Mustafar.Models.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Mustafar.Models.Diffusion;

/// <summary>Builds modules directly in the target dtype and on the target device (the meta device for key-layout
/// checks without weights), so that loading converts once while copying and nothing is allocated twice.</summary>
public static class ModuleFactory
{
    public static T Build<T>(Device device, ScalarType dtype, Func<T> create) where T : nn.Module
    {
        var previousDtype = get_default_dtype();
        var previousDevice = get_default_device();
        set_default_dtype(dtype);
        set_default_device(device);
        try
        {
            var module = create();
            module.eval();
            return module;
        }
        finally
        {
            set_default_dtype(previousDtype);
            set_default_device(previousDevice);
        }
    }
}

/// <summary>Loads one component folder of a diffusers pipeline: config.json, then the weights in either base name
/// (single file or sharded), strictly through <see cref="StateDictLoader"/>.</summary>
public static class ComponentLoader
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
