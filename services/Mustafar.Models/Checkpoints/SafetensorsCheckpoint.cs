using System.Text.Json;

namespace Mustafar.Models.Checkpoints;

/// <summary>A tensor of a (possibly sharded) checkpoint: its header entry and the shard that holds it.</summary>
public sealed record CheckpointTensor(SafetensorsEntry Entry, SafetensorsFile File)
{
    public string Key => Entry.Name;
    public long[] Shape => Entry.Shape;
}

/// <summary>
/// The weights of one model as Hugging Face and diffusers save them: a single <c>{name}.safetensors</c>, or shards
/// listed by <c>{name}.safetensors.index.json</c> (its <c>weight_map</c>). Opening maps the files; nothing is read
/// until a tensor is copied.
/// </summary>
public sealed class SafetensorsCheckpoint : IDisposable
{
    /// <summary>File base names tried in order when a folder is given: transformers, then diffusers.</summary>
    public static readonly string[] DefaultBaseNames = ["model", "diffusion_pytorch_model"];

    private readonly List<SafetensorsFile> _files = [];

    public string Source { get; }
    public IReadOnlyDictionary<string, CheckpointTensor> Tensors { get; }

    private SafetensorsCheckpoint(string source, IEnumerable<string> files)
    {
        Source = source;
        var tensors = new Dictionary<string, CheckpointTensor>(StringComparer.Ordinal);
        try
        {
            foreach (var path in files)
            {
                var file = new SafetensorsFile(path);
                _files.Add(file);
                foreach (var entry in file.Entries.Values)
                    if (!tensors.TryAdd(entry.Name, new CheckpointTensor(entry, file)))
                        throw new InvalidDataException($"{source}: tensor '{entry.Name}' appears in more than one shard");
            }
        }
        catch
        {
            Dispose();
            throw;
        }
        Tensors = tensors;
    }

    /// <summary>Opens a .safetensors file, an .index.json, or a folder holding either.</summary>
    /// <param name="baseNames">Base names to look for in a folder; <see cref="DefaultBaseNames"/> when null.</param>
    public static SafetensorsCheckpoint Open(string path, IReadOnlyList<string>? baseNames = null)
    {
        if (File.Exists(path))
            return path.EndsWith(".index.json", StringComparison.Ordinal) ? OpenIndex(path) : new SafetensorsCheckpoint(path, [path]);
        if (!Directory.Exists(path))
            throw new FileNotFoundException($"checkpoint '{path}' does not exist");

        foreach (var name in baseNames ?? DefaultBaseNames)
        {
            var single = System.IO.Path.Combine(path, name + ".safetensors");
            if (File.Exists(single)) return new SafetensorsCheckpoint(path, [single]);
            var index = System.IO.Path.Combine(path, name + ".safetensors.index.json");
            if (File.Exists(index)) return OpenIndex(index);
        }
        throw new FileNotFoundException(
            $"no safetensors weights in '{path}': looked for {string.Join(", ", (baseNames ?? DefaultBaseNames).Select(n => n + ".safetensors[.index.json]"))}");
    }

    private static SafetensorsCheckpoint OpenIndex(string indexPath)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(indexPath));
        var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(indexPath))!;
        var shards = document.RootElement.GetProperty("weight_map").EnumerateObject()
            .Select(p => p.Value.GetString() ?? throw new InvalidDataException($"{indexPath}: '{p.Name}' maps to null"))
            .Distinct(StringComparer.Ordinal)
            .Select(shard => System.IO.Path.Combine(folder, shard))
            .ToList();
        var missing = shards.Where(s => !File.Exists(s)).ToList();
        if (missing.Count > 0)
            throw new FileNotFoundException($"{indexPath} lists shards that do not exist: {string.Join(", ", missing)}");
        return new SafetensorsCheckpoint(indexPath, shards);
    }

    public void Dispose()
    {
        foreach (var file in _files) file.Dispose();
        _files.Clear();
    }
}
