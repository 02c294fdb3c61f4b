using Mustafar.CheckpointWriters;
using System.Text.Json;
using Mustafar.Models.Checkpoints;
using Mustafar.Train.Optimization;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mustafar.Train.Checkpoints;

/// <summary>
/// A resumable training checkpoint, OUTPUT/checkpoints/step-NNNNNN/: the trainable weights and the optimizer's
/// moments in float32 (trainable.safetensors, optimizer.safetensors) and state.json (the step and the run's
/// fingerprint). The frozen weights are the starting checkpoint's, and every random choice derives from
/// (seed, epoch, sample), so this is all a resumed run needs to continue as a straight run would.
/// </summary>
public static class TrainingState
{
    public const string Folder = "checkpoints";

    public sealed record Info(int Step, string Fingerprint);

    public static string Save(string output, int step, string fingerprint, IReadOnlyList<(string Name, Parameter Parameter)> trainable, ResumableAdamW optimizer)
    {
        var folder = Path.Combine(output, Folder, $"step-{step:D6}");
        var staging = folder + ".partial";
        if (Directory.Exists(staging)) Directory.Delete(staging, true);
        Directory.CreateDirectory(staging);
        using (var scope = NewDisposeScope())
        {
            SafetensorsWriter.Write(Path.Combine(staging, "trainable.safetensors"),
                trainable.Select(p => new KeyValuePair<string, Tensor>(p.Name, p.Parameter.detach().to(ScalarType.Float32).contiguous())));
            SafetensorsWriter.Write(Path.Combine(staging, "optimizer.safetensors"), optimizer.State());
        }
        File.WriteAllText(Path.Combine(staging, "state.json"), JsonSerializer.Serialize(new Info(step, fingerprint)));
        // Renamed into place last: an interrupted save leaves only a .partial folder, which resume ignores.
        if (Directory.Exists(folder)) Directory.Delete(folder, true);
        Directory.Move(staging, folder);
        return folder;
    }

    /// <summary>The latest complete checkpoint under <paramref name="output"/>, or null.</summary>
    public static string? Latest(string output)
    {
        var root = Path.Combine(output, Folder);
        if (!Directory.Exists(root)) return null;
        return Directory.GetDirectories(root, "step-*").Where(d => !d.EndsWith(".partial", StringComparison.Ordinal)
            && File.Exists(Path.Combine(d, "state.json"))).Order(StringComparer.Ordinal).LastOrDefault();
    }

    public static Info Load(string folder, string fingerprint, IReadOnlyList<(string Name, Parameter Parameter)> trainable, ResumableAdamW optimizer)
    {
        var info = JsonSerializer.Deserialize<Info>(File.ReadAllText(Path.Combine(folder, "state.json")))
            ?? throw new InvalidDataException($"{folder}/state.json: empty");
        if (info.Fingerprint != fingerprint)
            throw new InvalidDataException($"resume: {folder} was written by a run with other settings ({info.Fingerprint}); this run is {fingerprint}");
        using var weights = SafetensorsCheckpoint.Open(Path.Combine(folder, "trainable.safetensors"));
        using var moments = SafetensorsCheckpoint.Open(Path.Combine(folder, "optimizer.safetensors"));
        using (no_grad())
            foreach (var (name, parameter) in trainable)
            {
                var entry = weights.Tensors.GetValueOrDefault(name) ?? throw new InvalidDataException($"{folder}: no weight '{name}'");
                entry.File.CopyTo(entry.Entry, parameter);
            }
        optimizer.Restore(info.Step, key =>
        {
            var entry = moments.Tensors.GetValueOrDefault(key) ?? throw new InvalidDataException($"{folder}: no optimizer state '{key}'");
            return entry.File.Read(entry.Entry);
        });
        return info;
    }
}
