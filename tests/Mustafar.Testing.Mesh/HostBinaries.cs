using System.Reflection;
using Mustafar.Testing;

namespace Mustafar.IntegrationTests.Mesh;

/// <summary>The built assemblies of the mesh's processes, in the configuration these tests were built in (the
/// project references make sure they are built first).</summary>
public static class HostBinaries
{
    private static readonly string Configuration =
        typeof(HostBinaries).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "Configuration").Value!;

    // The mesh's hosts are the projects deploy/topology.json names.
    public static string ClipEncoder => Of(MeshTopology.Current.ModelService("clip-encoder").Project);
    public static string DiffusionEncoder => Of(MeshTopology.Current.ModelService("diffusion-encoder").Project);
    public static string Generator => Of(MeshTopology.Current.ModelService("generator").Project);
    public static string Gateway => Of(MeshTopology.Current.Gateway.Project);
    public static string LoadTool => Path("tests/load", "Mustafar.Load");
    /// <summary>The `mustafar` command (its assembly is named after the command, not the project).</summary>
    public static string Cli => Path("deploy/cli", "Mustafar.Cli", "mustafar");

    private static string Of(string project) =>
        Path(System.IO.Path.GetDirectoryName(System.IO.Path.GetDirectoryName(project))!, System.IO.Path.GetFileNameWithoutExtension(project));

    private static string Path(string area, string project, string? assembly = null)
    {
        var dll = System.IO.Path.Combine(RepoPaths.Root, area, project, "bin", Configuration, "net10.0", (assembly ?? project) + ".dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"{dll} is not built; build the solution in {Configuration} first");
    }
}
