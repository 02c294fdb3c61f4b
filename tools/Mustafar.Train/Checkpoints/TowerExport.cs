using Mustafar.CheckpointWriters;
using Mustafar.Models.Checkpoints;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mustafar.Train.Checkpoints;

/// <summary>Writes a copy of a generator checkpoint folder whose vision tower is replaced by a trained one (the same
/// keys, each in the dtype the starting checkpoint stored it in); every other file and tensor is copied unchanged.</summary>
public static class TowerExport
{
    public static void Write(string folder, string initFolder, IReadOnlyList<(string Name, Parameter Parameter)> tower)
    {
        GeneratorExport.CopyCompanionFiles(initFolder, folder, includeConfig: true);
        using var scope = NewDisposeScope();
        var trained = tower.ToDictionary(p => p.Name, p => p.Parameter, StringComparer.Ordinal);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using (var init = SafetensorsCheckpoint.Open(initFolder))
            foreach (var (key, entry) in init.Tensors)
            {
                var stored = entry.File.Read(entry.Entry);
                tensors[key] = trained.TryGetValue(key, out var parameter) ? parameter.detach().to(stored.dtype).contiguous() : stored;
            }
        var missing = trained.Keys.Where(k => !tensors.ContainsKey(k)).ToArray();
        if (missing.Length > 0) throw new InvalidDataException($"{initFolder}: the trained tower's {missing[0]} is not in the starting checkpoint");
        SafetensorsWriter.Write(Path.Combine(folder, GeneratorExport.WeightsFile), tensors);
    }
}
