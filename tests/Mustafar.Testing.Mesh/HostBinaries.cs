using System.Reflection;
using Mustafar.Testing;

namespace Mustafar.Testing.Mesh;

/// <summary>The built assemblies of the mesh's processes, in the configuration this library was built in (its
/// project references make sure they are built first; a consumer's own tools go through <see cref="Built"/>).</summary>
public static class HostBinaries
{
    private static readonly string Configuration =
        typeof(HostBinaries).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "Configuration").Value!;

    // The mesh's hosts are the projects deploy/topology.json names.
    public static string ClipEncoder => Of(MeshTopology.Current.ModelService("clip-encoder").Project);
    public static string DiffusionEncoder => Of(MeshTopology.Current.ModelService("diffusion-encoder").Project);
    public static string Generator => Of(MeshTopology.Current.ModelService("generator").Project);
    public static string Gateway => Of(MeshTopology.Current.Gateway.Project);
    private static string Of(string project) =>
        Built(Path.GetDirectoryName(Path.GetDirectoryName(project))!, Path.GetFileNameWithoutExtension(project));

    /// <summary>The built assembly of a project of the repository ("deploy/cli", "Mustafar.Cli", "mustafar"); fails
    /// naming the path when it is not built.</summary>
    public static string Built(string area, string project, string? assembly = null)
    {
        var dll = Path.Combine(RepoPaths.Root, area, project, "bin", Configuration, "net10.0", (assembly ?? project) + ".dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"{dll} is not built; build the solution in {Configuration} first");
    }
}
