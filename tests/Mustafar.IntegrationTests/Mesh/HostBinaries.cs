using System.Reflection;
using Mustafar.Testing;

namespace Mustafar.IntegrationTests.Mesh;

/// <summary>The built assemblies of the mesh's processes, in the configuration these tests were built in (the
/// project references make sure they are built first).</summary>
public static class HostBinaries
{
    private static readonly string Configuration =
        typeof(HostBinaries).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "Configuration").Value!;

    public static string ClipEncoder => Path("services", "Mustafar.ClipEncoder");
    public static string DiffusionEncoder => Path("services", "Mustafar.DiffusionEncoder");
    public static string Generator => Path("services", "Mustafar.Generator");
    public static string Gateway => Path("gateway", "Mustafar.Gateway");
    public static string LoadTool => Path("tests/load", "Mustafar.Load");
    /// <summary>The `mustafar` command (its assembly is named after the command, not the project).</summary>
    public static string Cli => Path("deploy/cli", "Mustafar.Cli", "mustafar");

    private static string Path(string area, string project, string? assembly = null)
    {
        var dll = System.IO.Path.Combine(RepoPaths.Root, area, project, "bin", Configuration, "net10.0", (assembly ?? project) + ".dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"{dll} is not built; build the solution in {Configuration} first");
    }
}
