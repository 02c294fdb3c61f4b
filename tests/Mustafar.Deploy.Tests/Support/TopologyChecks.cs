using System.Text.RegularExpressions;
using Mustafar.Testing;

namespace Mustafar.Deploy.Tests.Support;

/// <summary>Where a deployment file disagrees with deploy/topology.json: a service, a port, or an address the
/// gateway is wired to.</summary>
internal static partial class TopologyChecks
{
    public static IEnumerable<string> ComposeProblems(MeshTopology topology, ComposeFile compose)
    {
        var expected = topology.ModelServices.Select(s => s.Name).Append(topology.Gateway.Name).Append(topology.Redis.Name).ToHashSet();
        if (!compose.Services.Keys.ToHashSet().SetEquals(expected))
            yield return $"{compose.Source}: services [{string.Join(", ", compose.Services.Keys.Order())}], the topology has [{string.Join(", ", expected.Order())}]";
        var prefix = topology.EnvironmentPrefix;
        foreach (var model in topology.ModelServices)
        {
            if (!compose.Services.TryGetValue(model.Name, out var service)) continue;
            foreach (var port in new[] { model.GrpcPort, model.HttpPort })
                if (!service.Expose.Contains(Text(port)))
                    yield return $"{compose.Source}: {model.Name} does not expose port {port}";
            foreach (var problem in Equal($"{compose.Source}: {model.Name}", service.Environment, prefix + topology.ServiceEnvironment.GrpcPort, Text(model.GrpcPort))) yield return problem;
            foreach (var problem in Equal($"{compose.Source}: {model.Name}", service.Environment, prefix + topology.ServiceEnvironment.HttpPort, Text(model.HttpPort))) yield return problem;
        }
        if (compose.Services.TryGetValue(topology.Redis.Name, out var redis) && !redis.Expose.Contains(Text(topology.Redis.Port)))
            yield return $"{compose.Source}: {topology.Redis.Name} does not expose port {topology.Redis.Port}";
        if (compose.Services.TryGetValue(topology.Gateway.Name, out var gateway))
        {
            var published = gateway.Ports.Select(p => p.Container).ToHashSet();
            foreach (var port in new[] { topology.Gateway.HttpPort, topology.Gateway.GrpcPort })
                if (!published.Contains(port)) yield return $"{compose.Source}: {topology.Gateway.Name} does not publish container port {port}";
            foreach (var problem in GatewayWiring($"{compose.Source}: {topology.Gateway.Name}", topology, gateway.Environment)) yield return problem;
        }
    }

    public static IEnumerable<string> KubernetesProblems(MeshTopology topology, KustomizeBuild build)
    {
        var problems = new List<string>();
        foreach (var model in topology.ModelServices)
        {
            ServicePorts(build, model.Name, [model.GrpcPort, model.HttpPort], problems);
            if (build.Find("Deployment", model.Name)?.Containers.FirstOrDefault() is not { } container) { problems.Add($"no Deployment '{model.Name}'"); continue; }
            var environment = KubernetesChecks.Environment(build, container, problems, $"Deployment/{model.Name}");
            var prefix = topology.EnvironmentPrefix;
            problems.AddRange(Equal($"Deployment/{model.Name}", environment, prefix + topology.ServiceEnvironment.GrpcPort, Text(model.GrpcPort)));
            problems.AddRange(Equal($"Deployment/{model.Name}", environment, prefix + topology.ServiceEnvironment.HttpPort, Text(model.HttpPort)));
        }
        ServicePorts(build, topology.Gateway.Name, [topology.Gateway.HttpPort, topology.Gateway.GrpcPort], problems);
        ServicePorts(build, topology.Redis.Name, [topology.Redis.Port], problems);
        if (build.Find("Deployment", topology.Gateway.Name)?.Containers.FirstOrDefault() is { } gateway)
            problems.AddRange(GatewayWiring($"Deployment/{topology.Gateway.Name}", topology, KubernetesChecks.Environment(build, gateway, problems, "gateway")));
        else
            problems.Add($"no Deployment '{topology.Gateway.Name}'");
        return problems;
    }

    /// <summary>deploy/scripts/mesh.sh: it starts every model service from its host's build output with the
    /// topology's model id, passes the topology's option keys, and wires one destination per pool into the gateway.</summary>
    public static IEnumerable<string> MeshScriptProblems(MeshTopology topology, string script)
    {
        var started = StartedService().Matches(script).ToDictionary(m => m.Groups["name"].Value, m => m, StringComparer.Ordinal);
        foreach (var model in topology.ModelServices)
        {
            if (!started.TryGetValue(model.Name, out var start)) { yield return $"mesh.sh: does not start {model.Name}"; continue; }
            if (start.Groups["id"].Value != model.ModelId)
                yield return $"mesh.sh: starts {model.Name} with model id '{start.Groups["id"].Value}', the topology says '{model.ModelId}'";
            var dll = $"{Path.GetDirectoryName(model.Project)}/bin/Release/net10.0/{model.Assembly}";
            if (start.Groups["dll"].Value != dll) yield return $"mesh.sh: runs {start.Groups["dll"].Value} as {model.Name}, the topology says {dll}";
        }
        foreach (var name in started.Keys.Except(topology.ModelServices.Select(s => s.Name)))
            yield return $"mesh.sh: starts {name}, which the topology does not have";

        var pools = PoolLoop().Match(script);
        var clusters = pools.Success ? pools.Groups["pools"].Value.Split('"', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => p.Split(' ')[0]).Where(p => p.Length > 0).ToHashSet() : [];
        if (!clusters.SetEquals(topology.ModelServices.Select(s => s.Cluster)))
            yield return $"mesh.sh: wires the gateway to pools [{string.Join(", ", clusters.Order())}], the topology has [{string.Join(", ", topology.ModelServices.Select(s => s.Cluster).Order())}]";

        var prefix = topology.EnvironmentPrefix;
        var keys = topology.ServiceEnvironment;
        foreach (var key in new[] { keys.ModelPath, keys.ModelId, keys.GrpcPort, keys.HttpPort })
            if (!script.Contains($"{prefix}{key}=", StringComparison.Ordinal)) yield return $"mesh.sh: does not set {prefix}{key} for the model services";
        var gateway = topology.GatewayEnvironment;
        foreach (var key in new[] { gateway.Redis, gateway.Address("${pool}", 0), gateway.Health("${pool}", 0) })
            if (!script.Contains($"{key}=", StringComparison.Ordinal)) yield return $"mesh.sh: does not set the gateway's {key}";
    }

    private static IEnumerable<string> GatewayWiring(string where, MeshTopology topology, IReadOnlyDictionary<string, string> environment)
    {
        var prefix = topology.EnvironmentPrefix;
        var keys = topology.GatewayEnvironment;
        foreach (var problem in Equal(where, environment, prefix + keys.Redis, $"{topology.Redis.Name}:{topology.Redis.Port}")) yield return problem;
        foreach (var model in topology.ModelServices)
        {
            foreach (var problem in Equal(where, environment, prefix + keys.Address(model.Cluster, 0), $"http://{model.Name}:{model.GrpcPort}")) yield return problem;
            foreach (var problem in Equal(where, environment, prefix + keys.Health(model.Cluster, 0), $"http://{model.Name}:{model.HttpPort}")) yield return problem;
        }
    }

    private static void ServicePorts(KustomizeBuild build, string name, int[] ports, List<string> problems)
    {
        if (build.Find("Service", name) is not { } service) { problems.Add($"no Service '{name}'"); return; }
        var declared = service.Node.ItemsAt("spec", "ports").Select(p => p.Text("port")).ToHashSet();
        foreach (var port in ports)
            if (!declared.Contains(Text(port))) problems.Add($"Service/{name} has no port {port} ({service.Source})");
    }

    private static IEnumerable<string> Equal(string where, IReadOnlyDictionary<string, string> environment, string key, string expected)
    {
        if (!environment.TryGetValue(key, out var value)) yield return $"{where}: {key} is not set (the topology says {expected})";
        else if (value != expected) yield return $"{where}: {key} is {value}, the topology says {expected}";
    }

    private static string Text(int port) => port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary><c>start NAME env $(service_env "$model" "$grpc" "$http" MODEL-ID) \ dotnet DLL</c>.</summary>
    [GeneratedRegex("""^\s*start (?<name>[a-z-]+) env \$\(service_env [^)]*? (?<id>[A-Za-z0-9._-]+)\) \\\s*\n\s*dotnet (?<dll>\S+)""", RegexOptions.Multiline)]
    private static partial Regex StartedService();

    /// <summary><c>for cluster in "POOL $grpc $http" ...; do</c>: the pools the gateway is wired to.</summary>
    [GeneratedRegex("""for cluster in (?<pools>("[^"]*"\s*)+); do""")]
    private static partial Regex PoolLoop();
}
