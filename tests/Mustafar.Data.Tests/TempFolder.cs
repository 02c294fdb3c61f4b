namespace Mustafar.Data.Tests;

/// <summary>A fresh folder under the system temp directory, removed with its contents on dispose.</summary>
public sealed class TempFolder : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("mustafar-data-").FullName;

    public string Sub(string name) => Path.Combine(Root, name);

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
