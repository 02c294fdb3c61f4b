using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mustafar.Testing;

/// <summary>deploy/topology.json: the mesh's services, ports and gateway wiring, the one description that the
/// compose files, the Kubernetes manifests, mesh.sh and the integration tests' local mesh follow.</summary>
public sealed record MeshTopology(
    string EnvironmentPrefix,
    TopologyRedis Redis,
    IReadOnlyList<TopologyModelService> ModelServices,
    TopologyGateway Gateway,
    TopologyServiceEnvironment ServiceEnvironment,
    TopologyGatewayEnvironment GatewayEnvironment)
{
    public static string File => Path.Combine(RepoPaths.Root, "deploy", "topology.json");

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
        RespectRequiredConstructorParameters = true,
        RespectNullableAnnotations = true,
    };

    /// <summary>The repository's topology, read once.</summary>
    public static MeshTopology Current { get; } = Load(File);

    public static MeshTopology Load(string path) => Parse(System.IO.File.ReadAllText(path), path);

    public static MeshTopology Parse(string json, string source)
    {
        try
        {
            return JsonSerializer.Deserialize<MeshTopology>(json, Json) ?? throw new InvalidDataException($"{source}: empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: {e.Message}", e);
        }
    }

    public TopologyModelService ModelService(string name) =>
        ModelServices.SingleOrDefault(s => s.Name == name) ?? throw new KeyNotFoundException($"{File} has no model service '{name}'");

    public TopologyModelService Cluster(string cluster) =>
        ModelServices.SingleOrDefault(s => s.Cluster == cluster) ?? throw new KeyNotFoundException($"{File} has no cluster '{cluster}'");
}

public sealed record TopologyRedis(string Name, int Port);

/// <summary>A model service: its compose service and Kubernetes Deployment/Service name, host project, the gateway's
/// YARP cluster (pool) for it, the model id local runs give it, and its container ports.</summary>
public sealed record TopologyModelService(string Name, string Project, string Cluster, string ModelId, int GrpcPort, int HttpPort, bool Autoscaled)
{
    /// <summary>The host's entry assembly (the project's name: the hosts set no AssemblyName).</summary>
    public string Assembly => Path.GetFileNameWithoutExtension(Project) + ".dll";
}

public sealed record TopologyGateway(string Name, string Project, int HttpPort, int GrpcPort);

/// <summary>The option keys (without the environment prefix) that give a model service its model and ports.</summary>
public sealed record TopologyServiceEnvironment(string ModelPath, string ModelId, string GrpcPort, string HttpPort);

/// <summary>The gateway's option keys (without the environment prefix) for the feature cache and each pool's
/// destinations (<c>{cluster}</c> and <c>{index}</c> filled in per replica).</summary>
public sealed record TopologyGatewayEnvironment(string Redis, string DestinationAddress, string DestinationHealth)
{
    public string Address(string cluster, int index) => Fill(DestinationAddress, cluster, index);
    public string Health(string cluster, int index) => Fill(DestinationHealth, cluster, index);

    private static string Fill(string template, string cluster, int index) =>
        template.Replace("{cluster}", cluster, StringComparison.Ordinal).Replace("{index}", index.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
}
