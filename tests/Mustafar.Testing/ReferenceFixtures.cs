using System.Text.Json;
using Xunit;

namespace Mustafar.Testing;

/// <summary>
/// The golden fixtures made with transformers and diffusers: <c>$MUSTAFAR_REFERENCE_DIR</c>, falling back to
/// the public set in the repository (<c>tests/fixtures/reference</c>). Other fixture sets of the same layout
/// (different sizes, seeds and inputs, such as <c>tests/fixtures/reference-nonuniform</c>) can be pointed at with
/// the variable, so tests read every shape and name from the fixture.
/// </summary>
public static class ReferenceFixtures
{
    public const string EnvironmentVariable = "MUSTAFAR_REFERENCE_DIR";

    public static string Directory { get; } =
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } configured
            ? Path.GetFullPath(configured)
            : Path.Combine(RepoPaths.Root, "tests", "fixtures", "reference");


    /// <summary>The path of one fixture folder ("clip_vision"); fails the test, saying where it looked, when the
    /// folder is absent (see <see cref="Prerequisites"/> for the opt-out).</summary>
    public static string Require(string name)
    {
        var path = Path.Combine(Directory, name);
        Prerequisites.Require(System.IO.Directory.Exists(path),
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
