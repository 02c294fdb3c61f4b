using Mustafar.Testing;

namespace Mustafar.Deploy.Tests.Support;

/// <summary>A model service as every deployment names it: the compose service, the Kubernetes Deployment and
/// Service, the image, the host project it runs, and the gateway's YARP cluster (pool) that routes to it.</summary>
internal sealed record ModelService(string Name, string Project, string Cluster)
{
    public string Dockerfile => $"deploy/docker/{Name}.Dockerfile";

    /// <summary>The host's appsettings.json, which the environment overrides.</summary>
    public string AppSettings => Path.Combine(Path.GetDirectoryName(Project)!, "appsettings.json");

    /// <summary>The published entry assembly (the project's name: the hosts set no AssemblyName).</summary>
    public string Assembly => Path.GetFileNameWithoutExtension(Project) + ".dll";
}

/// <summary>What the deployment files must describe (from deploy/topology.json, the mesh's one description), and
/// where they are.</summary>
internal static class Mesh
{
    public static readonly IReadOnlyList<ModelService> ModelServices =
        MeshTopology.Current.ModelServices.Select(s => new ModelService(s.Name, s.Project, s.Cluster)).ToList();

    /// <summary>The encoder pools, each with its own HorizontalPodAutoscaler.</summary>
    public static readonly IReadOnlyList<string> AutoscaledEncoders =
        MeshTopology.Current.ModelServices.Where(s => s.Autoscaled).Select(s => s.Name).ToList();

    public static string Gateway => MeshTopology.Current.Gateway.Name;
    public static string GatewayProject => MeshTopology.Current.Gateway.Project;
    public const string GatewayDockerfile = "deploy/docker/gateway.Dockerfile";
    public static string Redis => MeshTopology.Current.Redis.Name;

    /// <summary>Where the probe the images run as their health check is built from.</summary>
    public const string ProbeProject = "deploy/probe/Mustafar.HealthProbe/Mustafar.HealthProbe.csproj";

    public static string ComposeFile => InRepo("docker-compose.yml");
    public static string ComposeCpuFile => InRepo("docker-compose.cpu.yml");
    public static string GatewayAppSettings => InRepo("gateway/Mustafar.Gateway/appsettings.json");
    public static string KubernetesDir => InRepo("deploy/k8s");
    public static string KubernetesBase => InRepo("deploy/k8s/base");
    public static string PrometheusAdapterValues => InRepo("deploy/k8s/prometheus-adapter/values.yaml");

    public static IEnumerable<string> KubernetesOverlays =>
        Directory.GetDirectories(InRepo("deploy/k8s/overlays")).Order(StringComparer.Ordinal);

    public static ModelService ModelService(string name) => ModelServices.Single(s => s.Name == name);

    public static string InRepo(string relative) => Path.Combine(RepoPaths.Root, relative);
}
