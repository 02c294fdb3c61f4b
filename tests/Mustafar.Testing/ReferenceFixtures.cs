using System.Text.Json;
using Xunit;

namespace Mustafar.Testing;

/// <summary>
/// The golden fixtures made with transformers and diffusers: <c>$MUSTAFAR_REFERENCE_DIR</c>, falling back to
/// <c>../shared/reference</c> beside the repository. Other fixture sets of the same layout (different sizes,
/// seeds and inputs) can be pointed at with the variable, so tests read every shape and name from the fixture.
/// </summary>
public static class ReferenceFixtures
{
    public const string EnvironmentVariable = "MUSTAFAR_REFERENCE_DIR";

    public static string Directory { get; } =
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } configured
            ? Path.GetFullPath(configured)
            : Path.GetFullPath(Path.Combine(RepoPaths.Root, "..", "shared", "reference"));

    public static bool Available => File.Exists(Path.Combine(Directory, "manifest.json"));

    /// <summary>The path of one fixture folder ("clip_vision"); skips the test, saying where it looked, when the
    /// fixture set is absent.</summary>
    public static string Require(string name)
    {
        var path = Path.Combine(Directory, name);
        Skip.IfNot(System.IO.Directory.Exists(path),
            $"reference fixture '{name}' not found under {Directory}; set {EnvironmentVariable} to a fixture set");
        return path;
    }

    /// <summary>A fixture folder's case.json.</summary>
    public static JsonElement Case(string name)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Require(name), "case.json")));
        return document.RootElement.Clone();
    }
}
