using System.Globalization;
using Mustafar.Serving;
using YamlDotNet.RepresentationModel;

namespace Mustafar.Deploy.Tests.Support;

/// <summary>
/// The checks of a kustomize build against the code: a Deployment and a headless Service per model service (GPU
/// requests and limits unless the overlay runs without GPUs), probes on /readyz and /healthz at the HTTP/1.1 port,
/// a startup budget for loading weights, a grace period longer than the drain, weights from a read-only
/// PersistentVolumeClaim, real option names only; the gateway's pools on the headless Services' names and ports;
/// Redis as a StatefulSet; a queue-depth HorizontalPodAutoscaler per encoder.
/// </summary>
internal static class KubernetesChecks
{
    /// <summary>The queue the encoders' dynamic batcher reports in mustafar_queue_depth{queue=...} (the hosts name it
    /// "encode" in <c>runtime.CreateBatcher(...)</c>).</summary>
    public const string EncoderQueue = "encode";

    public const string Gpu = "nvidia.com/gpu";

    /// <summary>Time a model service may take to load and warm up before the startup probe gives up.</summary>
    public static TimeSpan MinimumStartup(string service) => service == "generator" ? TimeSpan.FromMinutes(10) : TimeSpan.FromMinutes(2);

    /// <param name="adapterValues">The prometheus-adapter values that serve the autoscalers' metric.</param>
    public static IEnumerable<string> Problems(KustomizeBuild build, bool gpus, string? adapterValues = null)
    {
        foreach (var model in Mesh.ModelServices)
            foreach (var problem in ModelServiceProblems(build, model, gpus)) yield return problem;
        foreach (var problem in GatewayProblems(build)) yield return problem;
        foreach (var problem in AutoscalerProblems(build, adapterValues ?? Mesh.PrometheusAdapterValues)) yield return problem;
        var gpuUsers = build.Objects.Where(o => o.Containers.Any(UsesGpu)).Select(o => o.Name).ToHashSet();
        var expected = gpus ? Mesh.ModelServices.Select(m => m.Name).ToHashSet() : [];
        if (!gpuUsers.SetEquals(expected))
            yield return $"GPUs are requested by [{string.Join(", ", gpuUsers.Order())}], expected [{string.Join(", ", expected.Order())}]";
    }

    /// <summary>The container environment: env entries and the ConfigMaps of envFrom, as the kubelet assembles it.</summary>
    public static IReadOnlyDictionary<string, string> Environment(KustomizeBuild build, YamlMappingNode container, List<string> problems, string where)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var source in container.ItemsAt("envFrom"))
        {
            var name = source.Text("configMapRef", "name");
            if (name is null || !build.ConfigMaps.TryGetValue(name, out var data))
                problems.Add($"{where}: envFrom names ConfigMap '{name}', which the build does not generate");
            else
                foreach (var (key, value) in data) environment[key] = value;
        }
        foreach (var entry in container.ItemsAt("env"))
            environment[entry.Text("name") ?? ""] = entry.Text("value") ?? "";
        return environment;
    }

    private static IEnumerable<string> ModelServiceProblems(KustomizeBuild build, ModelService model, bool gpus)
    {
        var deployment = build.Find("Deployment", model.Name);
        if (deployment is null)
        {
            yield return $"no Deployment '{model.Name}'";
            yield break;
        }
        var where = deployment.Describe;
        var container = deployment.Containers.FirstOrDefault(c => c.Text("name") == model.Name);
        if (container is null)
        {
            yield return $"{where}: no container named {model.Name}";
            yield break;
        }
        if (!Images.IsOf(container.Text("image") ?? "", model.Name))
            yield return $"{where}: image {container.Text("image")} is not {Images.Repository(model.Name)}";

        var problems = new List<string>();
        var environment = Environment(build, container, problems, where);
        foreach (var problem in problems.Concat(ModelServiceConfiguration.UnknownVariables(where, environment))) yield return problem;
        var server = ModelServiceConfiguration.Server(model, environment);
        var options = ModelServiceConfiguration.Model(model, environment);

        var ports = Containers.Ports(container);
        if (!ports.TryGetValue("grpc", out var grpc) || grpc != server.GrpcPort)
            yield return $"{where}: container port 'grpc' is {(ports.ContainsKey("grpc") ? grpc : "missing")}, but the service listens on {server.GrpcPort}";
        if (!ports.TryGetValue("http", out var http) || http != server.HttpPort)
            yield return $"{where}: container port 'http' is {(ports.ContainsKey("http") ? http : "missing")}, but /healthz and /readyz answer on {server.HttpPort}";

        foreach (var problem in ProbeProblems(where, container, "readinessProbe", "/readyz", server.HttpPort)) yield return problem;
        foreach (var problem in ProbeProblems(where, container, "livenessProbe", "/healthz", server.HttpPort)) yield return problem;
        foreach (var problem in ProbeProblems(where, container, "startupProbe", "/readyz", server.HttpPort)) yield return problem;
        var startup = Seconds(container.Text("startupProbe", "periodSeconds") ?? "10") * Seconds(container.Text("startupProbe", "failureThreshold") ?? "3");
        if (TimeSpan.FromSeconds(startup) < MinimumStartup(model.Name))
            yield return $"{where}: the startup probe allows {startup} s, less than {MinimumStartup(model.Name).TotalSeconds} s to load the weights";

        var grace = Seconds(deployment.PodSpec?.Text("terminationGracePeriodSeconds") ?? "30");
        if (grace <= server.DrainTimeoutSeconds)
            yield return $"{where}: terminationGracePeriodSeconds {grace} does not exceed MUSTAFAR__Server__DrainTimeoutSeconds {server.DrainTimeoutSeconds}";

        if (gpus)
        {
            var limit = container.Text("resources", "limits", Gpu);
            if (limit is null || Seconds(limit) < 1) yield return $"{where}: no {Gpu} limit";
            var request = container.Text("resources", "requests", Gpu);
            if (request is not null && request != limit) yield return $"{where}: {Gpu} request {request} differs from the limit {limit}";
            if (!options.Device.StartsWith("cuda", StringComparison.Ordinal)) yield return $"{where}: GPUs are requested but MUSTAFAR__Model__Device is '{options.Device}'";
        }
        else if (options.Device != "cpu")
            yield return $"{where}: no GPU is requested but MUSTAFAR__Model__Device is '{options.Device}'";

        foreach (var problem in ModelVolumeProblems(build, deployment, container, options.Path)) yield return problem;
        foreach (var problem in ScrapeProblems(deployment, server.HttpPort)) yield return problem;

        var service = build.Find("Service", model.Name);
        if (service is null) yield return $"no Service '{model.Name}'";
        else
        {
            if (service.Node.Text("spec", "clusterIP") != "None")
                yield return $"{service.Describe}: not headless (clusterIP: None), so its name resolves to one virtual IP instead of every pod";
            foreach (var problem in ServiceProblems(service, deployment, container)) yield return problem;
        }
    }

    private static IEnumerable<string> GatewayProblems(KustomizeBuild build)
    {
        var deployment = build.Find("Deployment", Mesh.Gateway);
        var container = deployment?.Containers.FirstOrDefault();
        if (deployment is null || container is null)
        {
            yield return "no gateway Deployment";
            yield break;
        }
        var where = deployment.Describe;
        if (!Images.IsOf(container.Text("image") ?? "", Mesh.Gateway)) yield return $"{where}: image {container.Text("image")} is not {Images.Repository(Mesh.Gateway)}";
        var problems = new List<string>();
        var environment = Environment(build, container, problems, where);
        foreach (var problem in problems.Concat(GatewayConfiguration.UnknownVariables(where, environment))) yield return problem;
        var configuration = GatewayConfiguration.Effective(environment);
        var http = GatewayConfiguration.KestrelPort(configuration, "Http");
        var grpc = GatewayConfiguration.KestrelPort(configuration, "Grpc");
        var ports = Containers.Ports(container);
        if (!ports.TryGetValue("http", out var httpPort) || httpPort != http) yield return $"{where}: container port 'http' is not {http}";
        if (!ports.TryGetValue("grpc", out var grpcPort) || grpcPort != grpc) yield return $"{where}: container port 'grpc' is not {grpc}";
        foreach (var problem in ProbeProblems(where, container, "readinessProbe", "/readyz", http)) yield return problem;
        foreach (var problem in ProbeProblems(where, container, "livenessProbe", "/healthz", http)) yield return problem;

        // Each pool points at its model service's headless Service, on the Service ports that reach the pods'
        // gRPC and HTTP ports.
        foreach (var problem in ComposeChecks.PoolProblems(where, GatewayConfiguration.Destinations(configuration), cluster =>
                 {
                     var model = Mesh.ModelServices.FirstOrDefault(s => s.Cluster == cluster);
                     var service = model is null ? null : build.Find("Service", model.Name);
                     if (model is null || service is null) return null;
                     var servicePorts = service.Node.ItemsAt("spec", "ports").ToDictionary(p => p.Text("name") ?? "", p => (int)Seconds(p.Text("port") ?? "0"));
                     return (service.Name, new ServerOptions
                     {
                         GrpcPort = servicePorts.GetValueOrDefault("grpc"),
                         HttpPort = servicePorts.GetValueOrDefault("http"),
                     });
                 }))
            yield return problem;

        var redisService = build.Find("Service", Mesh.Redis);
        var redis = build.Find("StatefulSet", Mesh.Redis);
        if (redis is null || redisService is null) yield return "no Redis StatefulSet and Service named 'redis'";
        else
        {
            if (redis.Node.Text("spec", "serviceName") != redisService.Name) yield return $"{redis.Describe}: serviceName is not {redisService.Name}";
            foreach (var problem in ServiceProblems(redisService, redis, redis.Containers[0])) yield return problem;
            var redisPorts = redisService.Node.ItemsAt("spec", "ports").Select(p => (int)Seconds(p.Text("port") ?? "0")).ToHashSet();
            foreach (var problem in ComposeChecks.RedisProblems(where, configuration["Gateway:Cache:Redis"], redisService.Name, redisPorts)) yield return problem;
        }
        var gatewayService = build.Find("Service", Mesh.Gateway);
        if (gatewayService is null) yield return "no gateway Service";
        else foreach (var problem in ServiceProblems(gatewayService, deployment, container)) yield return problem;
    }

    private static IEnumerable<string> AutoscalerProblems(KustomizeBuild build, string adapterValues)
    {
        var adapter = YamlFiles.LoadMapping(adapterValues);
        var served = adapter.ItemsAt("rules", "custom")
            .Where(r => r.Text("seriesQuery")?.StartsWith(ServingMetrics.QueueDepth + "{", StringComparison.Ordinal) == true
                && r.Text("resources", "overrides", "pod", "resource") == "pod")
            .Select(r => r.Text("name", "as")).ToHashSet();
        var targets = new HashSet<string>();
        foreach (var hpa in build.OfKind("HorizontalPodAutoscaler"))
        {
            var target = hpa.Node.Text("spec", "scaleTargetRef", "name") ?? "";
            var kind = hpa.Node.Text("spec", "scaleTargetRef", "kind");
            var deployment = build.Find(kind ?? "", target);
            if (deployment is null) yield return $"{hpa.Describe}: scales {kind}/{target}, which does not exist";
            else if (deployment.Node.At("spec", "replicas") is not null)
                yield return $"{deployment.Describe}: sets replicas although {hpa.Describe} owns the count (every apply would reset it)";
            targets.Add(target);
            if (!Mesh.AutoscaledEncoders.Contains(target)) continue;
            var metric = hpa.Node.ItemsAt("spec", "metrics").FirstOrDefault(m => m.Text("type") == "Pods");
            var name = metric?.Text("pods", "metric", "name");
            if (name != ServingMetrics.QueueDepth)
                yield return $"{hpa.Describe}: scales on Pods metric '{name}', not the runtime's queue depth {ServingMetrics.QueueDepth}";
            else if (!served.Contains(name))
                yield return $"{hpa.Describe}: no prometheus-adapter rule in {Path.GetFileName(adapterValues)} serves {name} per pod";
            if (metric?.Text("pods", "metric", "selector", "matchLabels", "queue") != EncoderQueue)
                yield return $"{hpa.Describe}: the metric does not select queue={EncoderQueue}";
            if (metric?.Text("pods", "target", "type") != "AverageValue") yield return $"{hpa.Describe}: a Pods metric target must be an AverageValue";
        }
        foreach (var encoder in Mesh.AutoscaledEncoders.Where(e => !targets.Contains(e)))
            yield return $"no HorizontalPodAutoscaler for {encoder}";
    }

    private static IEnumerable<string> ProbeProblems(string where, YamlMappingNode container, string probe, string path, int port)
    {
        var get = container.MappingAt(probe, "httpGet");
        if (get is null)
        {
            yield return $"{where}: no {probe} with httpGet";
            yield break;
        }
        if (get.Text("path") != path) yield return $"{where}: {probe} gets {get.Text("path")}, not {path}";
        var resolved = Containers.ResolvePort(container, get.Text("port"));
        if (resolved != port) yield return $"{where}: {probe} uses port {get.Text("port")} ({resolved}), not the HTTP/1.1 port {port}";
    }

    /// <summary>A Service selects the workload's pods and each of its ports reaches a container port.</summary>
    private static IEnumerable<string> ServiceProblems(KubernetesObject service, KubernetesObject workload, YamlMappingNode container)
    {
        var selector = service.Node.StringMapAt("spec", "selector");
        if (selector.Count == 0 || selector.Any(s => !workload.PodLabels.TryGetValue(s.Key, out var value) || value != s.Value))
            yield return $"{service.Describe}: its selector does not select the pods of {workload.Describe}";
        foreach (var port in service.Node.ItemsAt("spec", "ports"))
        {
            var target = port.Text("targetPort") ?? port.Text("port");
            var resolved = Containers.ResolvePort(container, target);
            if (resolved is null || !Containers.Ports(container).Values.Contains(resolved.Value))
                yield return $"{service.Describe}: port {port.Text("name")} targets {target}, which is no port of {workload.Describe}";
            else if (port.Text("name") is { } name && Containers.Ports(container).TryGetValue(name, out var same) && same != resolved)
                yield return $"{service.Describe}: port {name} reaches container port {resolved}, not the container's '{name}' port {same}";
        }
    }

    private static IEnumerable<string> ModelVolumeProblems(KustomizeBuild build, KubernetesObject deployment, YamlMappingNode container, string modelPath)
    {
        var where = deployment.Describe;
        var mount = container.ItemsAt("volumeMounts").FirstOrDefault(m => modelPath.StartsWith((m.Text("mountPath") ?? "").TrimEnd('/') + "/", StringComparison.Ordinal));
        if (string.IsNullOrEmpty(modelPath))
        {
            yield return $"{where}: MUSTAFAR__Model__Path is not set";
            yield break;
        }
        if (mount is null)
        {
            yield return $"{where}: MUSTAFAR__Model__Path {modelPath} is on no mounted volume";
            yield break;
        }
        if (mount.Text("readOnly") != "true") yield return $"{where}: the models volume is not mounted read-only";
        var volume = deployment.PodSpec!.ItemsAt("volumes").FirstOrDefault(v => v.Text("name") == mount.Text("name"));
        var claim = volume?.Text("persistentVolumeClaim", "claimName");
        if (claim is null) yield return $"{where}: the models volume is not a PersistentVolumeClaim";
        else if (build.Find("PersistentVolumeClaim", claim) is null) yield return $"{where}: PersistentVolumeClaim '{claim}' is not in the build";
    }

    private static IEnumerable<string> ScrapeProblems(KubernetesObject deployment, int httpPort)
    {
        var annotations = deployment.Node.StringMapAt("spec", "template", "metadata", "annotations");
        if (!annotations.TryGetValue("prometheus.io/scrape", out var scrape) || scrape != "true"
            || !annotations.TryGetValue("prometheus.io/port", out var port) || port != httpPort.ToString(CultureInfo.InvariantCulture)
            || !annotations.TryGetValue("prometheus.io/path", out var path) || path != "/metrics")
            yield return $"{deployment.Describe}: pods are not annotated for scraping /metrics on port {httpPort} (the autoscalers' metric comes from there)";
    }

    private static bool UsesGpu(YamlMappingNode container) =>
        container.At("resources", "limits", Gpu) is not null || container.At("resources", "requests", Gpu) is not null;

    private static double Seconds(string text) => double.Parse(text, CultureInfo.InvariantCulture);
}
