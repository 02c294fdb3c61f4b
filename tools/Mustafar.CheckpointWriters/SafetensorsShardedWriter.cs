using System.Text.Json.Nodes;
using TorchSharp;

using Mustafar.Models.Checkpoints;

namespace Mustafar.CheckpointWriters;

/// <summary>Writes a checkpoint split into shards as <c>save_pretrained(max_shard_size=...)</c> does:
/// <c>{base}-00001-of-0000N.safetensors</c> files plus <c>{base}.safetensors.index.json</c> with the total size
/// and a weight_map. Tensors fill shards in key order; a tensor larger than the limit gets a shard of its own.</summary>
public static class SafetensorsShardedWriter
{
    public static IReadOnlyList<string> Write(string folder, string baseName, IEnumerable<KeyValuePair<string, torch.Tensor>> tensors, long maxShardBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxShardBytes);
        var shards = new List<List<KeyValuePair<string, torch.Tensor>>>();
        long current = 0, total = 0;
        foreach (var pair in tensors.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            var size = pair.Value.numel() * pair.Value.element_size();
            if (shards.Count == 0 || (current > 0 && current + size > maxShardBytes))
            {
                shards.Add([]);
                current = 0;
            }
            shards[^1].Add(pair);
            current += size;
            total += size;
        }

        Directory.CreateDirectory(folder);
        var weightMap = new JsonObject();
        var files = new List<string>();
        for (var i = 0; i < shards.Count; i++)
        {
            var name = $"{baseName}-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
            SafetensorsWriter.Write(Path.Combine(folder, name), shards[i], new Dictionary<string, string> { ["format"] = "pt" });
            foreach (var (key, _) in shards[i]) weightMap[key] = name;
            files.Add(name);
        }
        var index = new JsonObject { ["metadata"] = new JsonObject { ["total_size"] = total }, ["weight_map"] = weightMap };
        File.WriteAllText(Path.Combine(folder, $"{baseName}.safetensors.index.json"), index.ToJsonString(new() { WriteIndented = true }));
        return files;
    }
}
