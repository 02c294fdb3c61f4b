using YamlDotNet.RepresentationModel;

namespace Mustafar.Deploy.Tests.Support;

/// <summary>A service of a compose file, with variables interpolated to their defaults.</summary>
internal sealed record ComposeService(string Name, YamlMappingNode Node)
{
    public string? Image => Text("image");

    public string? BuildContext => Node.At("build") is YamlScalarNode ? Text("build") : Text("build", "context");

    public string? Dockerfile => Text("build", "dockerfile");

    /// <summary>The environment, from the map form or the list form (<c>- KEY=value</c>).</summary>
    public IReadOnlyDictionary<string, string> Environment => Node.At("environment") switch
    {
        YamlSequenceNode list => list.Children.OfType<YamlScalarNode>().Select(s => s.Value ?? "")
            .Select(item => item.Split('=', 2)).ToDictionary(p => p[0], p => ComposeInterpolation.Apply(p.Length > 1 ? p[1] : ""), StringComparer.Ordinal),
        _ => Node.StringMapAt("environment").ToDictionary(e => e.Key, e => ComposeInterpolation.Apply(e.Value), StringComparer.Ordinal),
    };

    public IReadOnlyList<string> Expose => Node.TextsAt("expose").Select(ComposeInterpolation.Apply).ToList();

    /// <summary>Published ports as (host part, container port); a bare "8080" publishes on a random host port.</summary>
    public IReadOnlyList<(string? Host, int Container)> Ports => Node.TextsAt("ports").Select(ComposeInterpolation.Apply)
        .Select(p => p.Split(':'))
        .Select(p => (p.Length > 1 ? string.Join(':', p[..^1]) : null, int.Parse(p[^1].Split('/')[0], System.Globalization.CultureInfo.InvariantCulture)))
        .ToList();

    public IReadOnlyList<string> HealthcheckTest => Node.TextsAt("healthcheck", "test").Select(ComposeInterpolation.Apply).ToList();

    public string? HealthcheckStartPeriod => Text("healthcheck", "start_period");

    public string? StopGracePeriod => Text("stop_grace_period");

    /// <summary>depends_on as service -> condition (the short list form means service_started).</summary>
    public IReadOnlyDictionary<string, string> DependsOn => Node.At("depends_on") switch
    {
        YamlSequenceNode list => list.Children.OfType<YamlScalarNode>().ToDictionary(s => s.Value ?? "", _ => "service_started"),
        YamlMappingNode map => map.Children.ToDictionary(c => ((YamlScalarNode)c.Key).Value ?? "",
            c => c.Value.Text("condition") ?? "service_started"),
        _ => new Dictionary<string, string>(),
    };

    /// <summary>Short-form volumes as (source, target, read-only).</summary>
    public IReadOnlyList<(string Source, string Target, bool ReadOnly)> Volumes => Node.TextsAt("volumes").Select(ComposeInterpolation.Apply)
        .Select(v => v.Split(':'))
        .Select(p => (p[0], p.Length > 1 ? p[1] : p[0], p.Length > 2 && p[2].Split(',').Contains("ro")))
        .ToList();

    /// <summary>deploy.resources.reservations.devices entries.</summary>
    public IReadOnlyList<YamlNode> ReservedDevices => Node.ItemsAt("deploy", "resources", "reservations", "devices");

    /// <summary>Whether the devices list carries compose's <c>!reset</c> tag (an override that removes it).</summary>
    public bool ResetsDevices => Node.At("deploy", "resources", "reservations", "devices") is { } devices
        && devices.Tag is { IsEmpty: false, IsNonSpecific: false, Value: "!reset" };

    public IReadOnlyDictionary<string, string> BuildArgs =>
        Node.StringMapAt("build", "args").ToDictionary(a => a.Key, a => ComposeInterpolation.Apply(a.Value), StringComparer.Ordinal);

    private string? Text(params string[] path) => Node.Text(path) is { } value ? ComposeInterpolation.Apply(value) : null;
}

/// <summary>A docker compose file, parsed as compose parses it (anchors and merge keys resolved).</summary>
internal sealed class ComposeFile
{
    public ComposeFile(YamlMappingNode root, string source)
    {
        Source = source;
        Services = root.MappingAt("services") is { } services
            ? services.Children.ToDictionary(s => ((YamlScalarNode)s.Key).Value ?? "",
                s => new ComposeService(((YamlScalarNode)s.Key).Value ?? "", s.Value as YamlMappingNode
                    ?? throw new InvalidDataException($"{source}: service {s.Key} is not a mapping")), StringComparer.Ordinal)
            : throw new InvalidDataException($"{source}: no services");
    }

    public string Source { get; }

    public IReadOnlyDictionary<string, ComposeService> Services { get; }

    public static ComposeFile Load(string path) => new(YamlFiles.LoadMapping(path), Path.GetFileName(path));

    public static ComposeFile Parse(string text, string source) => new(YamlFiles.ParseMapping(text, source), source);
}
