using Mustafar.Models.Common;
using Mustafar.Models.Checkpoints;
using static TorchSharp.torch;

namespace Mustafar.Models.Diffusion.UNet;

/// <summary>Loads a diffusers <c>unet/</c> folder; the key layout is the module's own.</summary>
public static class UNetLoader
{
    public static UNet2DConditionModel Build(HfConfig config, Device device, ScalarType dtype)
    {
        var parsed = UNet2DConditionConfig.From(config);
        return ModuleBuild.Build(device, dtype, (d, t) => new UNet2DConditionModel(parsed, d, t));
    }

    public static (UNet2DConditionModel Model, LoadReport Report) Load(string folder, Device device, ScalarType dtype,
        IReadOnlyList<string>? weightBaseNames = null) =>
        ComponentLoader.Load(folder, config => Build(config, device, dtype), KeyMapping.Exact, weightBaseNames);
}
