using System.IO.MemoryMappedFiles;
using System.Text.Json;
using TorchSharp;

namespace Mustafar.Models.Checkpoints;

/// <summary>One tensor's header entry in a safetensors file.</summary>
/// <param name="Begin">Offset of the first byte, relative to the start of the data section.</param>
/// <param name="End">Offset one past the last byte.</param>
public sealed record SafetensorsEntry(string Name, string DType, long[] Shape, long Begin, long End)
{
    public long ByteLength => End - Begin;
}

/// <summary>
/// A memory-mapped safetensors file (8-byte little-endian header length, JSON header, raw data). Tensor bytes are
/// copied once, from the page cache straight into the destination tensor's native memory; nothing is staged in
/// managed arrays, so a 7B shard costs no managed heap.
/// </summary>
public sealed unsafe class SafetensorsFile : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly long _dataStart;
    private readonly long _length;

    public string Path { get; }
    public IReadOnlyDictionary<string, SafetensorsEntry> Entries { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }

    public SafetensorsFile(string path)
    {
        Path = path;
        _length = new FileInfo(path).Length;
        if (_length < 8) throw new InvalidDataException($"{path}: {_length} bytes is too short for a safetensors file");
        _map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        _view = _map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _base = pointer + _view.PointerOffset;

        try
        {
            var headerLength = *(long*)_base;
            if (headerLength <= 0 || headerLength > _length - 8)
                throw new InvalidDataException($"{path}: header length {headerLength} does not fit a {_length}-byte file");
            _dataStart = 8 + headerLength;
            (Entries, Metadata) = ParseHeader(new ReadOnlySpan<byte>(_base + 8, checked((int)headerLength)));
            foreach (var entry in Entries.Values)
            {
                var expected = entry.Shape.Aggregate(1L, (a, b) => a * b) * SafetensorsDType.ElementSize(entry.DType);
                if (entry.ByteLength != expected || entry.Begin < 0 || _dataStart + entry.End > _length)
                    throw new InvalidDataException($"{path}: tensor '{entry.Name}' has offsets [{entry.Begin}, {entry.End}) that do not match its shape or the file size");
            }
        }
        catch (Exception e) when (e is not InvalidDataException)
        {
            // A header that is not the JSON we expect (wrong types, unknown dtype, not JSON at all) is a corrupt file.
            Dispose();
            throw new InvalidDataException($"{path}: the safetensors header is malformed: {e.Message}", e);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private (Dictionary<string, SafetensorsEntry>, Dictionary<string, string>) ParseHeader(ReadOnlySpan<byte> json)
    {
        var entries = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        using var document = JsonDocument.Parse(json.ToArray());
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (property.Name == "__metadata__")
            {
                foreach (var item in property.Value.EnumerateObject()) metadata[item.Name] = item.Value.GetString() ?? "";
                continue;
            }
            var value = property.Value;
            var offsets = value.GetProperty("data_offsets");
            entries[property.Name] = new SafetensorsEntry(
                property.Name,
                value.GetProperty("dtype").GetString() ?? throw new InvalidDataException($"{Path}: '{property.Name}' has no dtype"),
                [.. value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64())],
                offsets[0].GetInt64(),
                offsets[1].GetInt64());
        }
        return (entries, metadata);
    }

    /// <summary>The raw bytes of one tensor, valid while this file is open.</summary>
    public ReadOnlySpan<byte> Bytes(SafetensorsEntry entry) =>
        new(_base + _dataStart + entry.Begin, checked((int)entry.ByteLength));

    /// <summary>Copies a tensor into <paramref name="destination"/>, converting dtype and device as needed.
    /// The destination must have the entry's shape.</summary>
    public void CopyTo(SafetensorsEntry entry, torch.Tensor destination)
    {
        if (!destination.shape.SequenceEqual(entry.Shape))
            throw new InvalidDataException($"{Path}: tensor '{entry.Name}' has shape [{string.Join(", ", entry.Shape)}], the destination [{string.Join(", ", destination.shape)}]");
        var stored = SafetensorsDType.ToScalarType(entry.DType);
        using var _ = torch.no_grad();
        if (destination.dtype == stored && destination.device_type == DeviceType.CPU && destination.is_contiguous())
        {
            if (entry.ByteLength > 0) Bytes(entry).CopyTo(destination.bytes);
            return;
        }
        using var staging = Read(entry);
        destination.copy_(staging);
    }

    /// <summary>Reads a tensor into new CPU memory in its stored dtype.</summary>
    public torch.Tensor Read(SafetensorsEntry entry)
    {
        var tensor = torch.empty(entry.Shape, SafetensorsDType.ToScalarType(entry.DType));
        if (entry.ByteLength > 0) Bytes(entry).CopyTo(tensor.bytes);
        return tensor;
    }

    public void Dispose()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
