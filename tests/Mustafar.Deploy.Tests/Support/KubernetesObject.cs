using YamlDotNet.RepresentationModel;

namespace Mustafar.Deploy.Tests.Support;

/// <summary>One Kubernetes object of a kustomize build, with the file it came from.</summary>
internal sealed record KubernetesObject(YamlMappingNode Node, string Source)
{
    public string Kind => Node.Text("kind") ?? "";

    public string Name => Node.Text("metadata", "name") ?? "";

    public string Describe => $"{Kind}/{Name} ({Source})";

    public IReadOnlyDictionary<string, string> Labels => Node.StringMapAt("metadata", "labels");

    /// <summary>The pod template of a Deployment or StatefulSet.</summary>
    public YamlMappingNode? PodSpec => Node.MappingAt("spec", "template", "spec");

    public IReadOnlyDictionary<string, string> PodLabels => Node.StringMapAt("spec", "template", "metadata", "labels");

    public IReadOnlyList<YamlMappingNode> Containers => PodSpec?.ItemsAt("containers").OfType<YamlMappingNode>().ToList() ?? [];

    public bool Is(string kind, string name) => Kind == kind && Name == name;
}

/// <summary>Reading containers and probes of a pod spec.</summary>
internal static class Containers
{
    /// <summary>A container's named ports (name -> containerPort).</summary>
    public static IReadOnlyDictionary<string, int> Ports(YamlMappingNode container) =>
        container.ItemsAt("ports").ToDictionary(p => p.Text("name") ?? "", p => int.Parse(p.Text("containerPort") ?? "0", System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The port a probe or Service targets: a number, or the name of a container port.</summary>
    public static int? ResolvePort(YamlMappingNode container, string? port) =>
        port is null ? null
        : int.TryParse(port, System.Globalization.CultureInfo.InvariantCulture, out var number) ? number
        : Ports(container).TryGetValue(port, out var named) ? named
        : null;

    /// <summary>The image's repository: the reference without tag or digest.</summary>
    public static string ImageRepository(string image)
    {
        var withoutDigest = image.Split('@')[0];
        var lastSlash = withoutDigest.LastIndexOf('/');
        var colon = withoutDigest.LastIndexOf(':');
        return colon > lastSlash ? withoutDigest[..colon] : withoutDigest;
    }
}
