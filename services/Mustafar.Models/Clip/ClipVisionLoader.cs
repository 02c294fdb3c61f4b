using Mustafar.Models.Checkpoints;
using Mustafar.Models.Common;
using TorchSharp;

namespace Mustafar.Models.Clip;

/// <summary>A loaded tower and what the load did.</summary>
public sealed record LoadedClipVision(ClipVisionModel Model, ClipVisionSource Source, LoadReport Report);

/// <summary>Builds a <see cref="ClipVisionModel"/> in the requested dtype and device and fills it strictly from
/// the checkpoint a <see cref="ClipVisionSource"/> describes (missing, unexpected or mis-shaped keys fail with
/// lists; weights convert from the stored dtype while they are copied from the mapped file).</summary>
public static class ClipVisionLoader
{
    public static LoadedClipVision Load(ClipVisionSource source, torch.Device device, torch.ScalarType dtype)
    {
        ArgumentNullException.ThrowIfNull(source);
        var model = ModuleBuild.Build(device, dtype, (d, t) => new ClipVisionModel(source.Config, d, t));
        try
        {
            using var checkpoint = SafetensorsCheckpoint.Open(source.WeightsPath, ["model"]);
            var report = StateDictLoader.Load(model, checkpoint, source.MappingFor(checkpoint.Tensors.Keys));
            return new LoadedClipVision(model, source, report);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
