using Mustafar.Deploy.Tests.Support;
using Mustafar.Testing;

namespace Mustafar.Deploy.Tests;

/// <summary>deploy/topology.json is the mesh's one description; every file that also writes down its services, ports
/// or wiring must agree with it. (The integration tests' LocalMesh and these tests' Mesh read it directly.)</summary>
public sealed class TopologyTests
{
    private static string MeshScript => Mesh.InRepo("deploy/scripts/mesh.sh");

    [Fact]
    public void Compose_file_agrees_with_the_topology()
    {
        Assert.Empty(TopologyChecks.ComposeProblems(MeshTopology.Current, ComposeFile.Load(Mesh.ComposeFile)));
    }

    [Fact]
    public void Kubernetes_base_and_overlays_agree_with_the_topology()
    {
        foreach (var directory in Mesh.KubernetesOverlays.Prepend(Mesh.KubernetesBase))
            Assert.Empty(TopologyChecks.KubernetesProblems(MeshTopology.Current, KustomizeBuild.Load(directory)));
    }

    [Fact]
    public void Mesh_script_agrees_with_the_topology()
    {
        Assert.Empty(TopologyChecks.MeshScriptProblems(MeshTopology.Current, File.ReadAllText(MeshScript)));
    }

    [Fact]
    public void Topology_names_each_service_cluster_and_model_id_once_and_their_projects_exist()
    {
        var topology = MeshTopology.Current;
        var models = topology.ModelServices;

        Assert.Equal(models.Count, models.Select(s => s.Name).Distinct().Count());
        Assert.Equal(models.Count, models.Select(s => s.Cluster).Distinct().Count());
        Assert.Equal(models.Count, models.Select(s => s.ModelId).Distinct().Count());
        Assert.All(models.Select(s => s.Project).Append(topology.Gateway.Project), p => Assert.True(File.Exists(Mesh.InRepo(p)), $"{p} does not exist"));
    }

    [Theory]
    [InlineData("clip-0__Address: http://clip-encoder:50051", "clip-0__Address: http://clip-encoder:50052", "clip-0__Address is http://clip-encoder:50052, the topology says http://clip-encoder:50051")]
    [InlineData("MUSTAFAR__Gateway__Cache__Redis: redis:6379", "MUSTAFAR__Gateway__Cache__Redis: redis:6380", "Gateway__Cache__Redis is redis:6380, the topology says redis:6379")]
    [InlineData("      - ${MUSTAFAR_GRPC_PORT:-8081}:8081", "      - ${MUSTAFAR_GRPC_PORT:-8081}:8082", "gateway does not publish container port 8081")]
    [InlineData("  generator:\n    <<: *model-service", "  llm:\n    <<: *model-service", "the topology has [clip-encoder, diffusion-encoder, gateway, generator, redis]")]
    public void A_compose_file_that_disagrees_fails(string from, string to, string expected)
    {
        var broken = ComposeFile.Parse(Mutations.Replace(File.ReadAllText(Mesh.ComposeFile), from, to), "docker-compose.yml");

        Assert.Contains(TopologyChecks.ComposeProblems(MeshTopology.Current, broken), p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("base/gateway.yaml", "      port: 8081\n", "      port: 8091\n", "Service/gateway has no port 8081")]
    [InlineData("base/config/gateway.env", "diffusion-0__Health=http://diffusion-encoder:8080", "diffusion-0__Health=http://diffusion-encoder:8090", "the topology says http://diffusion-encoder:8080")]
    public void A_manifest_that_disagrees_fails(string file, string from, string to, string expected)
    {
        var copy = Mutations.KubernetesCopy(file, from, to);
        try
        {
            var problems = TopologyChecks.KubernetesProblems(MeshTopology.Current, KustomizeBuild.Load(Path.Combine(copy, "base")));

            Assert.Contains(problems, p => p.Contains(expected, StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Theory]
    [InlineData("\"$gen_http\" mustafar-llava)", "\"$gen_http\" llava)", "starts generator with model id 'llava', the topology says 'mustafar-llava'")]
    [InlineData("\"diffusion $diff_grpc $diff_http\"", "\"sd $diff_grpc $diff_http\"", "wires the gateway to pools [clip, generator, sd]")]
    [InlineData("net10.0/Mustafar.DiffusionEncoder.dll", "net10.0/Mustafar.Generator.dll", "runs services/Mustafar.DiffusionEncoder/bin/Release/net10.0/Mustafar.Generator.dll as diffusion-encoder")]
    [InlineData("MUSTAFAR__Server__HttpPort=", "MUSTAFAR__Server__HttpPorts=", "does not set MUSTAFAR__Server__HttpPort")]
    [InlineData("${pool}-0__Health=", "${pool}-0__Healthz=", "does not set the gateway's ReverseProxy__Clusters__${pool}__Destinations__${pool}-0__Health")]
    public void A_mesh_script_that_disagrees_fails(string from, string to, string expected)
    {
        var broken = Mutations.Replace(File.ReadAllText(MeshScript), from, to);

        Assert.Contains(TopologyChecks.MeshScriptProblems(MeshTopology.Current, broken), p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void A_topology_that_disagrees_with_the_files_fails()
    {
        var changed = MeshTopology.Parse(Mutations.Replace(File.ReadAllText(MeshTopology.File), "\"cluster\": \"diffusion\"", "\"cluster\": \"sd\""), "topology.json");

        Assert.Contains(TopologyChecks.ComposeProblems(changed, ComposeFile.Load(Mesh.ComposeFile)), p => p.Contains("sd-0__Address is not set", StringComparison.Ordinal));
        Assert.Contains(TopologyChecks.KubernetesProblems(changed, KustomizeBuild.Load(Mesh.KubernetesBase)), p => p.Contains("sd-0__Address is not set", StringComparison.Ordinal));
        Assert.Contains(TopologyChecks.MeshScriptProblems(changed, File.ReadAllText(MeshScript)), p => p.Contains("the topology has [clip, generator, sd]", StringComparison.Ordinal));
    }
}
