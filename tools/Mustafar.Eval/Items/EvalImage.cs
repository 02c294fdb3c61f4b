namespace Mustafar.Eval.Items;

/// <summary>An item's image: a file of the benchmark's image folder, read when the item is asked (a benchmark of
/// thousands of images is never held in memory), or bytes embedded in the benchmark file (BLINK's Parquet).</summary>
public sealed class EvalImage
{
    private readonly string? _path;
    private readonly byte[]? _bytes;

    private EvalImage(string? path, byte[]? bytes) => (_path, _bytes) = (path, bytes);

    public static EvalImage FromFile(string path) => new(path, null);

    public static EvalImage FromBytes(byte[] bytes) => new(null, bytes);

    /// <summary>Where the image lives, for messages.</summary>
    public string Describe() => _path ?? $"{_bytes!.Length} embedded bytes";

    public async Task<byte[]> ReadAsync(CancellationToken cancellationToken) =>
        _bytes ?? await File.ReadAllBytesAsync(_path!, cancellationToken);
}
