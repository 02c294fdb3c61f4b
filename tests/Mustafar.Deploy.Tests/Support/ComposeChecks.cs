using System.Globalization;
using Mustafar.Serving;

namespace Mustafar.Deploy.Tests.Support;

/// <summary>
/// The checks of docker-compose.yml against the code: the five services, GPU reservations on exactly the model
/// services, no fixed host ports on them (so <c>--scale</c> works), health checks on /readyz at the HTTP/1.1 port
/// through the probe the image carries, read-only model mounts, real option names only, the gateway's pools and
/// Redis pointing at the services' real names and ports, and start-up ordering on health.
/// </summary>
internal static class ComposeChecks
{
    public static IEnumerable<string> Problems(ComposeFile compose)
    {
        var expected = Mesh.ModelServices.Select(s => s.Name).Append(Mesh.Gateway).Append(Mesh.Redis).ToHashSet();
        foreach (var missing in expected.Except(compose.Services.Keys)) yield return $"{compose.Source}: no service '{missing}'";
        foreach (var extra in compose.Services.Keys.Except(expected)) yield return $"{compose.Source}: unexpected service '{extra}'";

        foreach (var model in Mesh.ModelServices)
            if (compose.Services.TryGetValue(model.Name, out var service))
                foreach (var problem in ModelServiceProblems(compose, model, service)) yield return problem;
        if (compose.Services.TryGetValue(Mesh.Gateway, out var gateway))
            foreach (var problem in GatewayProblems(compose, gateway)) yield return problem;
        if (compose.Services.TryGetValue(Mesh.Redis, out var redis) && redis.HealthcheckTest.Count == 0)
            yield return $"{compose.Source}: redis has no health check";
    }

    /// <summary>The GPU-less override: CPU images of the same Dockerfiles, devices reset, CPU device and real options.</summary>
    public static IEnumerable<string> CpuOverrideProblems(ComposeFile baseFile, ComposeFile cpu)
    {
        foreach (var name in cpu.Services.Keys.Except(baseFile.Services.Keys))
            yield return $"{cpu.Source}: overrides '{name}', which {baseFile.Source} does not define";
        foreach (var model in Mesh.ModelServices)
        {
            var where = $"{cpu.Source}: {model.Name}";
            if (!cpu.Services.TryGetValue(model.Name, out var service) || !baseFile.Services.TryGetValue(model.Name, out var original))
            {
                yield return $"{where}: not overridden";
                continue;
            }
            if (!service.ResetsDevices) yield return $"{where}: the GPU reservation is not removed (devices: !reset [])";
            if (service.Image is null || service.Image == original.Image)
                yield return $"{where}: a CPU image needs its own tag, not {original.Image}";
            var args = service.BuildArgs;
            if (!args.TryGetValue("TORCH_BACKEND", out var backend) || backend != "cpu") yield return $"{where}: build arg TORCH_BACKEND is not cpu";
            var dockerfile = Dockerfile.Load(Mesh.InRepo(model.Dockerfile));
            var declared = DeclaredArgs(Mesh.InRepo(model.Dockerfile));
            foreach (var arg in args.Keys.Except(declared)) yield return $"{where}: build arg {arg} is not an ARG of {model.Dockerfile}";
            var published = Dockerfile.Load(Mesh.InRepo(model.Dockerfile), args);
            if (!published.Stages.SelectMany(s => s.All("RUN")).Any(r => r.Text.Contains("-p:TorchBackend=cpu", StringComparison.Ordinal)))
                yield return $"{where}: with these build args {model.Dockerfile} does not publish with -p:TorchBackend=cpu";
            if (published.Final.From == dockerfile.Final.From)
                yield return $"{where}: the CPU image still runs on {dockerfile.Final.From}";
            var environment = original.Environment.Concat(service.Environment).GroupBy(e => e.Key)
                .ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);
            foreach (var problem in ModelServiceConfiguration.UnknownVariables(where, service.Environment)) yield return problem;
            if (ModelServiceConfiguration.Model(model, environment).Device != "cpu") yield return $"{where}: MUSTAFAR__Model__Device is not cpu";
        }
    }

    /// <summary>Every ARG a Dockerfile declares, global or in a stage.</summary>
    public static IReadOnlySet<string> DeclaredArgs(string dockerfile) =>
        File.ReadAllLines(dockerfile).Select(l => l.Trim()).Where(l => l.StartsWith("ARG ", StringComparison.Ordinal))
            .Select(l => l[4..].Split('=')[0].Trim()).ToHashSet(StringComparer.Ordinal);

    private static IEnumerable<string> ModelServiceProblems(ComposeFile compose, ModelService model, ComposeService service)
    {
        var where = $"{compose.Source}: {model.Name}";
        foreach (var problem in BuildProblems(where, service, model.Dockerfile, Images.Repository(model.Name))) yield return problem;
        var environment = service.Environment;
        foreach (var problem in ModelServiceConfiguration.UnknownVariables(where, environment)) yield return problem;
        var server = ModelServiceConfiguration.Server(model, environment);
        var options = ModelServiceConfiguration.Model(model, environment);

        if (service.ReservedDevices.Count == 0 || !service.ReservedDevices.All(d => d.Text("driver") == "nvidia" && d.TextsAt("capabilities").Contains("gpu")))
            yield return $"{where}: no NVIDIA GPU reservation (deploy.resources.reservations.devices with driver nvidia, capabilities [gpu])";
        if (!options.Device.StartsWith("cuda", StringComparison.Ordinal))
            yield return $"{where}: a GPU is reserved but MUSTAFAR__Model__Device is '{options.Device}'";
        if (service.Ports.Count > 0)
            yield return $"{where}: publishes ports ({string.Join(", ", service.Ports.Select(p => p.Container))}); a model service must not, or --scale cannot start replicas";
        foreach (var port in new[] { server.GrpcPort, server.HttpPort })
            if (!service.Expose.Contains(port.ToString(CultureInfo.InvariantCulture)))
                yield return $"{where}: does not expose port {port} (gRPC {server.GrpcPort}, HTTP {server.HttpPort})";

        foreach (var problem in HealthcheckProblems(where, service, model.Dockerfile, server.HttpPort)) yield return problem;
        if (service.HealthcheckStartPeriod is null) yield return $"{where}: the health check has no start_period for loading the weights";

        var mount = service.Volumes.FirstOrDefault(v => options.Path.StartsWith(v.Target.TrimEnd('/') + "/", StringComparison.Ordinal));
        if (string.IsNullOrEmpty(options.Path)) yield return $"{where}: MUSTAFAR__Model__Path is not set";
        else if (mount.Target is null) yield return $"{where}: MUSTAFAR__Model__Path {options.Path} is on no mounted volume";
        else if (!mount.ReadOnly) yield return $"{where}: the models volume {mount.Target} is not mounted read-only";

        var grace = service.StopGracePeriod is { } text ? Durations.Parse(text) : TimeSpan.FromSeconds(10); // Docker's default
        if (grace <= server.DrainTimeout)
            yield return $"{where}: stop_grace_period {grace.TotalSeconds} s does not exceed the drain timeout ({server.DrainTimeoutSeconds} s)";
    }

    private static IEnumerable<string> GatewayProblems(ComposeFile compose, ComposeService gateway)
    {
        var where = $"{compose.Source}: {Mesh.Gateway}";
        foreach (var problem in BuildProblems(where, gateway, Mesh.GatewayDockerfile, Images.Repository(Mesh.Gateway))) yield return problem;
        if (gateway.ReservedDevices.Count > 0) yield return $"{where}: reserves a GPU; the gateway never loads TorchSharp";
        var environment = gateway.Environment;
        foreach (var problem in GatewayConfiguration.UnknownVariables(where, environment)) yield return problem;
        var configuration = GatewayConfiguration.Effective(environment);

        foreach (var problem in PoolProblems(where, GatewayConfiguration.Destinations(configuration),
                     cluster => Mesh.ModelServices.FirstOrDefault(s => s.Cluster == cluster) is { } model
                         && compose.Services.TryGetValue(model.Name, out var service)
                         ? (model.Name, ModelServiceConfiguration.Server(model, service.Environment))
                         : null))
            yield return problem;

        if (compose.Services.TryGetValue(Mesh.Redis, out var redis))
            foreach (var problem in RedisProblems(where, configuration[$"Gateway:Cache:Redis"], Mesh.Redis,
                         redis.Expose.Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToHashSet()))
                yield return problem;

        var http = GatewayConfiguration.KestrelPort(configuration, "Http");
        var grpc = GatewayConfiguration.KestrelPort(configuration, "Grpc");
        var published = gateway.Ports.Select(p => p.Container).ToHashSet();
        if (!published.SetEquals([http, grpc]))
            yield return $"{where}: publishes container ports {string.Join(", ", published.Order())}; the gateway listens on {http} (HTTP) and {grpc} (gRPC)";
        foreach (var problem in HealthcheckProblems(where, gateway, Mesh.GatewayDockerfile, http)) yield return problem;

        foreach (var dependency in compose.Services.Keys.Where(k => k != Mesh.Gateway))
        {
            if (!gateway.DependsOn.TryGetValue(dependency, out var condition))
                yield return $"{where}: does not depend on {dependency}";
            else if (condition != "service_healthy")
                yield return $"{where}: depends on {dependency} with {condition}, not service_healthy";
            else if (compose.Services[dependency].HealthcheckTest.Count == 0)
                yield return $"{where}: waits for {dependency} to be healthy, but it has no health check";
        }
    }

    /// <summary>Every destination of every pool must be the gRPC port of the model service its cluster belongs to,
    /// with health on its HTTP/1.1 port, by the name the service's replicas resolve under.</summary>
    public static IEnumerable<string> PoolProblems(string where,
        IReadOnlyList<(string Cluster, string Destination, string? Address, string? Health)> destinations,
        Func<string, (string Host, ServerOptions Server)?> serviceOf)
    {
        foreach (var model in Mesh.ModelServices.Where(m => destinations.All(d => d.Cluster != m.Cluster)))
            yield return $"{where}: the gateway has no cluster '{model.Cluster}' for {model.Name}";
        foreach (var (cluster, destination, address, health) in destinations)
        {
            var name = $"{where}: ReverseProxy:Clusters:{cluster}:Destinations:{destination}";
            if (serviceOf(cluster) is not { } target)
            {
                yield return $"{name}: no model service serves cluster '{cluster}'";
                continue;
            }
            var expectedAddress = $"http://{target.Host}:{target.Server.GrpcPort}";
            var expectedHealth = $"http://{target.Host}:{target.Server.HttpPort}";
            if (!SameEndpoint(address, expectedAddress)) yield return $"{name}:Address is {address ?? "unset"}, not {expectedAddress}";
            if (!SameEndpoint(health, expectedHealth)) yield return $"{name}:Health is {health ?? "unset"}, not {expectedHealth}";
        }
    }

    /// <summary>Gateway:Cache:Redis must name the Redis service and one of its ports.</summary>
    public static IEnumerable<string> RedisProblems(string where, string? configurationString, string host, IReadOnlySet<int> ports)
    {
        var endpoint = configurationString?.Split(',')[0].Trim() ?? "";
        var parts = endpoint.Split(':');
        var port = parts.Length == 2 && int.TryParse(parts[1], CultureInfo.InvariantCulture, out var p) ? p : 6379;
        if (parts[0] != host || !ports.Contains(port))
            yield return $"{where}: Gateway:Cache:Redis is '{configurationString}', not {host} on one of its ports ({string.Join(", ", ports)})";
    }

    private static bool SameEndpoint(string? actual, string expected) =>
        Uri.TryCreate(actual, UriKind.Absolute, out var uri) && Uri.TryCreate(expected, UriKind.Absolute, out var wanted)
        && uri.Scheme == wanted.Scheme && string.Equals(uri.Host, wanted.Host, StringComparison.OrdinalIgnoreCase) && uri.Port == wanted.Port;

    private static IEnumerable<string> BuildProblems(string where, ComposeService service, string dockerfile, string repository)
    {
        if (service.BuildContext != ".") yield return $"{where}: the build context is {service.BuildContext ?? "unset"}, not the repository root";
        if (service.Dockerfile != dockerfile) yield return $"{where}: builds {service.Dockerfile ?? "no Dockerfile"}, not {dockerfile}";
        else if (!File.Exists(Mesh.InRepo(dockerfile))) yield return $"{where}: {dockerfile} does not exist";
        if (service.Image is null || Containers.ImageRepository(service.Image) != repository)
            yield return $"{where}: image {service.Image}, not {repository}:<tag> (the name the Kubernetes manifests use)";
    }

    /// <summary>The compose health check must run the same probe command as the image's HEALTHCHECK (so it exists
    /// in the image), against /readyz on the service's HTTP/1.1 port.</summary>
    private static IEnumerable<string> HealthcheckProblems(string where, ComposeService service, string dockerfile, int port)
    {
        var test = service.HealthcheckTest;
        if (test.Count < 2 || test[0] != "CMD")
        {
            yield return $"{where}: the health check is not in [\"CMD\", ...] form: [{string.Join(", ", test)}]";
            yield break;
        }
        var command = test.Skip(1).ToList();
        foreach (var problem in HealthCheckCommand.Problems(where, command, port, "/readyz")) yield return problem;
        var image = Dockerfile.Load(Mesh.InRepo(dockerfile)).Final.All("HEALTHCHECK").LastOrDefault()?.ExecForm;
        if (image is null || command.Count < 2 || !image.Take(2).SequenceEqual(command.Take(2)))
            yield return $"{where}: the health check runs [{string.Join(", ", command.Take(2))}], which {dockerfile} does not provide ([{string.Join(", ", image?.Take(2) ?? [])}])";
    }
}

/// <summary>Image names shared by compose and Kubernetes.</summary>
internal static class Images
{
    public static string Repository(string service) => $"mustafar/{service}";

    /// <summary>Whether an image reference is the service's image, possibly under a registry prefix.</summary>
    public static bool IsOf(string image, string service)
    {
        var repository = Containers.ImageRepository(image);
        return repository == Repository(service) || repository.EndsWith("/" + Repository(service), StringComparison.Ordinal);
    }
}
