using Mustafar.Deploy.Tests.Support;

namespace Mustafar.Deploy.Tests;

public sealed class KubernetesTests
{
    /// <summary>Overlays for clusters without GPUs; every other overlay (and the base) requests GPUs.</summary>
    private static readonly string[] CpuOverlays = ["cpu"];

    public static TheoryData<string> Overlays => new(Mesh.KubernetesOverlays.Select(Path.GetFileName)!);

    [Fact]
    public void Base_matches_the_services_options_ports_probes_and_pools()
    {
        Assert.Empty(KubernetesChecks.Problems(KustomizeBuild.Load(Mesh.KubernetesBase), gpus: true));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Overlay_builds_and_matches_the_services(string overlay)
    {
        var build = KustomizeBuild.Load(Path.Combine(Mesh.KubernetesDir, "overlays", overlay));

        Assert.Empty(KubernetesChecks.Problems(build, gpus: !CpuOverlays.Contains(overlay)));
        Assert.NotNull(build.Namespace);
        Assert.All(build.Objects, o => Assert.Equal(o.Kind == "Namespace" ? null : build.Namespace, o.Node.Text("metadata", "namespace")));
        Assert.Contains(build.OfKind("Namespace"), n => n.Name == build.Namespace);
    }

    [Fact]
    public void Base_and_overlays_together_read_every_manifest_file()
    {
        var read = Mesh.KubernetesOverlays.Select(KustomizeBuild.Load)
            .Append(KustomizeBuild.Load(Mesh.KubernetesBase))
            .SelectMany(b => b.Files).Select(Path.GetFullPath).ToHashSet();
        var manifests = Directory.GetFiles(Mesh.KubernetesDir, "*", SearchOption.AllDirectories)
            .Where(f => !f.StartsWith(Path.GetDirectoryName(Mesh.PrometheusAdapterValues)!, StringComparison.Ordinal));

        Assert.All(manifests, f => Assert.True(read.Contains(Path.GetFullPath(f)), $"{f} is referenced by no kustomization"));
    }

    [Fact]
    public void Each_encoder_scales_on_its_own_queue_depth()
    {
        var build = KustomizeBuild.Load(Mesh.KubernetesBase);
        var targets = build.OfKind("HorizontalPodAutoscaler").Select(h => h.Node.Text("spec", "scaleTargetRef", "name")).ToList();

        // One autoscaler per encoder (checked for the queue-depth metric in the base test): they scale independently.
        Assert.All(Mesh.AutoscaledEncoders, encoder => Assert.Single(targets, t => t == encoder));
        Assert.DoesNotContain("generator", targets);
    }

    [Theory]
    [InlineData("base/config/clip-encoder.env", "MUSTAFAR__Batching__MaxBatchSize=16", "MUSTAFAR__Batching__MaxBatchSiz=16", "MUSTAFAR__Batching__MaxBatchSiz is not an option")]
    [InlineData("base/config/gateway.env", "MUSTAFAR__Gateway__Upstream__DiscoveryRefresh", "MUSTAFAR__Gateway__Upstream__DiscoverRefresh", "MUSTAFAR__Gateway__Upstream__DiscoverRefresh: not an option of the gateway")]
    [InlineData("base/config/gateway.env", "clip-0__Address=http://clip-encoder:50051", "clip-0__Address=http://clip-encoder-pool:50051", "Destinations:clip-0:Address is http://clip-encoder-pool:50051")]
    [InlineData("base/config/gateway.env", "MUSTAFAR__Gateway__Cache__Redis=redis:6379", "MUSTAFAR__Gateway__Cache__Redis=redis:6380", "Gateway:Cache:Redis is 'redis:6380'")]
    [InlineData("base/config/model-services.env", "MUSTAFAR__Server__HttpPort=8080", "MUSTAFAR__Server__HttpPort=9090", "container port 'http' is 8080, but /healthz and /readyz answer on 9090")]
    [InlineData("base/autoscaling.yaml", "name: mustafar_queue_depth\n          selector:\n            matchLabels:\n              queue: encode\n        # More", "name: mustafar_queue_length\n          selector:\n            matchLabels:\n              queue: encode\n        # More", "not the runtime's queue depth mustafar_queue_depth")]
    [InlineData("base/autoscaling.yaml", "    name: diffusion-encoder\n  minReplicas", "    name: diffusion\n  minReplicas", "scales Deployment/diffusion, which does not exist")]
    [InlineData("base/generator.yaml", "terminationGracePeriodSeconds: 150", "terminationGracePeriodSeconds: 100", "terminationGracePeriodSeconds 100 does not exceed MUSTAFAR__Server__DrainTimeoutSeconds 120")]
    [InlineData("base/generator.yaml", "failureThreshold: 120", "failureThreshold: 12", "the startup probe allows 120 s")]
    [InlineData("base/clip-encoder.yaml", "path: /healthz", "path: /readyz", "livenessProbe gets /readyz, not /healthz")]
    [InlineData("base/diffusion-encoder.yaml", "  clusterIP: None\n", "", "not headless")]
    [InlineData("base/generator.yaml", "              nvidia.com/gpu: 1\n            limits", "            limits", "")]
    [InlineData("base/generator.yaml", "              memory: 32Gi\n              nvidia.com/gpu: 1\n", "              memory: 32Gi\n", "no nvidia.com/gpu limit")]
    [InlineData("base/clip-encoder.yaml", "              readOnly: true\n            - name: scratch", "            - name: scratch", "not mounted read-only")]
    [InlineData("base/gateway.yaml", "      port: 8081\n      targetPort: grpc", "      port: 8081\n      targetPort: 8082", "targets 8082, which is no port")]
    [InlineData("overlays/cpu/kustomization.yaml", "MUSTAFAR__Model__Device=cpu", "MUSTAFAR__Model__Device=cuda", "no GPU is requested but MUSTAFAR__Model__Device is 'cuda'")]
    [InlineData("prometheus-adapter/values.yaml", "as: mustafar_queue_depth", "as: queue_depth", "no prometheus-adapter rule")]
    public void A_mistake_in_a_manifest_fails_the_checks(string file, string from, string to, string expected)
    {
        var copy = Mutations.KubernetesCopy(file, from, to);
        try
        {
            var overlay = file.StartsWith("overlays/", StringComparison.Ordinal) ? Path.GetDirectoryName(file)! : "base";
            var build = KustomizeBuild.Load(Path.Combine(copy, overlay));
            var adapter = Path.Combine(copy, "prometheus-adapter", "values.yaml");

            var problems = KubernetesChecks.Problems(build, gpus: !overlay.Contains("cpu", StringComparison.Ordinal), adapter).ToList();

            if (expected.Length == 0) Assert.Empty(problems); // a limit alone (no request) is valid for extended resources
            else Assert.Contains(problems, p => p.Contains(expected, StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Theory]
    [InlineData("base/kustomization.yaml", "  - redis.yaml", "  - redis-cache.yaml", "resource 'redis-cache.yaml' does not exist")]
    [InlineData("base/kustomization.yaml", "      - config/generator.env", "      - config/llm.env", "env file 'config/llm.env' does not exist")]
    [InlineData("overlays/production/kustomization.yaml", "  - path: gpu-nodes.yaml", "  - path: gpu.yaml", "patch 'gpu.yaml' does not exist")]
    [InlineData("overlays/production/kustomization.yaml", "      name: mustafar-models", "      name: models", "matches no resource")]
    [InlineData("overlays/cpu/no-gpu.yaml", "requests/nvidia.com~1gpu", "requests/nvidia.com~1gpus", "remove /spec/template/spec/containers/0/resources/requests/nvidia.com~1gpus: nothing there")]
    [InlineData("base/kustomization.yaml", "configMapGenerator:", "commonAnnotations: {}\nconfigMapGenerator:", "fields these tests do not model: commonAnnotations")]
    [InlineData("base/redis.yaml", "kind: StatefulSet", "kind: StatefulSet\nkind: Deployment", "Duplicate key")]
    public void A_broken_kustomization_fails_to_build(string file, string from, string to, string expected)
    {
        var copy = Mutations.KubernetesCopy(file, from, to);
        try
        {
            var directory = Path.GetDirectoryName(file)!.Split('/') is ["overlays", var name, ..] ? $"overlays/{name}" : "base";

            var error = Assert.Throws<InvalidDataException>(() => KustomizeBuild.Load(Path.Combine(copy, directory)));

            Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }
}
