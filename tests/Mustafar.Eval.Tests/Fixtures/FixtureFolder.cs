using System.IO.Compression;
using Mustafar.Testing;

namespace Mustafar.Eval.Tests.Fixtures;

/// <summary>A temporary folder for a benchmark fixture written in its published layout, removed after the test.</summary>
public sealed class FixtureFolder : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("mustafar-eval-").FullName;

    public string Write(string relativePath, string text)
    {
        var path = Path.Combine(Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>A real 2x2 PNG of one colour (the readers only pass images on, but they are valid images all the same).</summary>
    public string Image(string relativePath, byte shade)
    {
        var path = Path.Combine(Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, TinyPng(shade));
        return path;
    }

    public static byte[] TinyPng(byte shade)
    {
        byte[] row = [0, shade, shade, shade, shade, shade, shade];
        using var deflated = new MemoryStream();
        using (var zlib = new ZLibStream(deflated, CompressionLevel.Optimal, leaveOpen: true))
        {
            zlib.Write(row);
            zlib.Write(row);
        }
        return PngWriter.Rgb(2, 2, deflated.ToArray());
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
