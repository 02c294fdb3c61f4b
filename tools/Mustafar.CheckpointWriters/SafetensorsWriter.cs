using System.Text;
using System.Text.Json;
using TorchSharp;

using Mustafar.Models.Checkpoints;

namespace Mustafar.CheckpointWriters;

/// <summary>Writes tensors in the safetensors format, as <c>save_pretrained</c> does: keys sorted, data packed in
/// that order, header padded with spaces to a multiple of 8 bytes.</summary>
public static class SafetensorsWriter
{
    public static void Write(string path, IEnumerable<KeyValuePair<string, torch.Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var ordered = tensors.OrderBy(t => t.Key, StringComparer.Ordinal).ToList();
        var header = new Dictionary<string, object>(StringComparer.Ordinal);
        if (metadata is { Count: > 0 }) header["__metadata__"] = metadata;
        long offset = 0;
        var payloads = new List<torch.Tensor>(ordered.Count);
        using var scope = torch.NewDisposeScope();
        foreach (var (key, tensor) in ordered)
        {
            var host = tensor.detach().cpu().contiguous();
            payloads.Add(host);
            var length = host.numel() * host.element_size();
            header[key] = new Dictionary<string, object>
            {
                ["dtype"] = SafetensorsDType.FromScalarType(host.dtype),
                ["shape"] = host.shape,
                ["data_offsets"] = new[] { offset, offset + length },
            };
            offset += length;
        }

        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        var padded = (json.Length + 7) / 8 * 8;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        stream.Write(BitConverter.GetBytes((long)padded));
        stream.Write(json);
        for (var i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
        foreach (var payload in payloads)
            if (payload.numel() > 0) stream.Write(payload.bytes);
    }
}
