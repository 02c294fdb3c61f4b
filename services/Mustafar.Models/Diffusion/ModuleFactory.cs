using Mustafar.Models.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Mustafar.Models.Diffusion;

/// <summary>
/// Builds modules in the target dtype on the target device. Real builds never touch libtorch's process-wide
/// defaults (another thread may be creating tensors): the module is made on the CPU in float32, then converted and
/// moved before any weight is loaded. Only the meta device (key-layout checks with no memory) is built by switching
/// the default device, under a lock and restored at once; callers must not create tensors on other threads then.
/// Parameters are detached from any dispose scope of the caller, so the module owns them for its whole life.
/// </summary>
public static class ModuleFactory
{
    private static readonly Lock MetaGate = new();

    public static T Build<T>(Device device, ScalarType dtype, Func<T> create) where T : nn.Module
    {
        T module;
        if (device.type == DeviceType.META)
        {
            lock (MetaGate)
            {
                var previousDevice = get_default_device();
                set_default_device(META);
                try
                {
                    module = create();
                }
                finally
                {
                    set_default_device(previousDevice);
                }
            }
            if (dtype != ScalarType.Float32) module.to(dtype);
        }
        else
        {
            module = create();
            if (dtype != ScalarType.Float32) module.to(dtype);
            if (device.type != DeviceType.CPU) module.to(device);
        }
        foreach (var parameter in module.parameters()) parameter.DetachFromDisposeScope();
        foreach (var buffer in module.buffers()) buffer.DetachFromDisposeScope();
        module.eval();
        return module;
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
