using YamlDotNet.RepresentationModel;

namespace Mustafar.Deploy.Tests.Support;

/// <summary>
/// A kustomization resolved the way <c>kubectl kustomize</c> resolves it, for the features these manifests use:
/// <c>resources</c> (files and other kustomizations), <c>configMapGenerator</c> (env files, literals, merge),
/// JSON 6902 <c>patches</c> (by kind, name or label selector), <c>images</c>, <c>replicas</c>, <c>namespace</c> and
/// <c>labels</c>. Any other field fails, so a manifest never relies on something these tests ignore. Generated
/// ConfigMaps keep their plain names (kustomize adds a content hash and rewrites the references to match).
/// </summary>
internal sealed class KustomizeBuild
{
    private static readonly string[] Fields =
        ["apiVersion", "kind", "resources", "configMapGenerator", "patches", "images", "replicas", "namespace", "labels"];

    private readonly List<KubernetesObject> _objects = [];
    private readonly Dictionary<string, Dictionary<string, string>> _configMaps = new(StringComparer.Ordinal);
    private readonly List<string> _files = [];

    private KustomizeBuild()
    {
    }

    public IReadOnlyList<KubernetesObject> Objects => _objects;

    /// <summary>Generated ConfigMaps by name, with their data.</summary>
    public IReadOnlyDictionary<string, Dictionary<string, string>> ConfigMaps => _configMaps;

    /// <summary>Every file the build read: kustomizations, resources, env files, patches.</summary>
    public IReadOnlyList<string> Files => _files;

    public string? Namespace { get; private set; }

    public static KustomizeBuild Load(string directory)
    {
        var build = new KustomizeBuild();
        build.Read(Path.GetFullPath(directory));
        return build;
    }

    public IEnumerable<KubernetesObject> OfKind(string kind) => _objects.Where(o => o.Kind == kind);

    public KubernetesObject? Find(string kind, string name) => _objects.FirstOrDefault(o => o.Is(kind, name));

    private void Read(string directory)
    {
        var path = Path.Combine(directory, "kustomization.yaml");
        if (!File.Exists(path)) throw new InvalidDataException($"{directory}: no kustomization.yaml");
        _files.Add(path);
        var kustomization = YamlFiles.LoadMapping(path);
        var unsupported = kustomization.KeysAt().Except(Fields).ToList();
        if (unsupported.Count > 0)
            throw new InvalidDataException($"{path}: fields these tests do not model: {string.Join(", ", unsupported)}");

        foreach (var resource in kustomization.TextsAt("resources"))
        {
            var target = Path.GetFullPath(Path.Combine(directory, resource));
            if (Directory.Exists(target)) Read(target);
            else if (File.Exists(target)) AddResources(target);
            else throw new InvalidDataException($"{path}: resource '{resource}' does not exist ({target})");
        }
        foreach (var generator in kustomization.ItemsAt("configMapGenerator")) Generate(directory, path, generator);
        foreach (var patch in kustomization.ItemsAt("patches")) ApplyPatch(directory, path, patch);
        foreach (var image in kustomization.ItemsAt("images")) SetImage(image);
        foreach (var replicas in kustomization.ItemsAt("replicas")) SetReplicas(path, replicas);
        foreach (var labels in kustomization.ItemsAt("labels")) AddLabels(labels);
        if (kustomization.Text("namespace") is { } ns) SetNamespace(ns);
    }

    private void AddResources(string file)
    {
        _files.Add(file);
        foreach (var document in YamlFiles.Load(file))
        {
            var mapping = document as YamlMappingNode ?? throw new InvalidDataException($"{file}: a document is not a mapping");
            foreach (var field in new[] { "apiVersion", "kind" })
                if (mapping.Text(field) is null) throw new InvalidDataException($"{file}: a document has no {field}");
            if (mapping.Text("metadata", "name") is null) throw new InvalidDataException($"{file}: a document has no metadata.name");
            _objects.Add(new KubernetesObject(mapping, Path.GetRelativePath(Mesh.KubernetesDir, file)));
        }
    }

    private void Generate(string directory, string kustomization, YamlNode generator)
    {
        var name = generator.Text("name") ?? throw new InvalidDataException($"{kustomization}: a configMapGenerator has no name");
        var behavior = generator.Text("behavior") ?? "create";
        if (generator.At("files") is not null) throw new InvalidDataException($"{kustomization}: configMapGenerator '{name}': 'files' is not modelled here");
        var data = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var envFile in generator.TextsAt("envs"))
        {
            var file = Path.Combine(directory, envFile);
            if (!File.Exists(file)) throw new InvalidDataException($"{kustomization}: configMapGenerator '{name}': env file '{envFile}' does not exist");
            _files.Add(file);
            foreach (var (key, value) in EnvFile(file)) data[key] = value;
        }
        foreach (var literal in generator.TextsAt("literals"))
        {
            var (key, value) = KeyValue(literal, $"{kustomization}: configMapGenerator '{name}'");
            data[key] = value;
        }
        var exists = _configMaps.TryGetValue(name, out var existing);
        switch (behavior)
        {
            case "create" when exists:
                throw new InvalidDataException($"{kustomization}: ConfigMap '{name}' is generated twice");
            case "create":
            case "replace" when exists:
                _configMaps[name] = data;
                break;
            case "merge" when exists:
                foreach (var (key, value) in data) existing![key] = value;
                break;
            default:
                throw new InvalidDataException($"{kustomization}: configMapGenerator '{name}' with behavior '{behavior}' has no ConfigMap to act on");
        }
    }

    /// <summary>kustomize's env files: KEY=VALUE lines; blank lines and # comments skipped.</summary>
    public static IEnumerable<(string Key, string Value)> EnvFile(string path) =>
        File.ReadAllLines(path)
            .Select((line, index) => (Line: line.Trim(), Number: index + 1))
            .Where(l => l.Line.Length > 0 && !l.Line.StartsWith('#'))
            .Select(l => KeyValue(l.Line, $"{path}:{l.Number}"));

    private static (string Key, string Value) KeyValue(string text, string where)
    {
        var equals = text.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0) throw new InvalidDataException($"{where}: '{text}' is not KEY=VALUE");
        return (text[..equals], text[(equals + 1)..]);
    }

    private void ApplyPatch(string directory, string kustomization, YamlNode patch)
    {
        var patchFile = patch.Text("path");
        YamlNode operations;
        if (patchFile is not null)
        {
            var file = Path.Combine(directory, patchFile);
            if (!File.Exists(file)) throw new InvalidDataException($"{kustomization}: patch '{patchFile}' does not exist");
            _files.Add(file);
            operations = YamlFiles.Load(file).Single();
        }
        else
        {
            operations = YamlFiles.Parse(patch.Text("patch") ?? throw new InvalidDataException($"{kustomization}: a patch has neither path nor patch"), kustomization).Single();
        }
        if (operations is not YamlSequenceNode sequence)
            throw new InvalidDataException($"{kustomization}: patch {patchFile}: only JSON 6902 patches (a list of operations) are modelled here");
        var targets = _objects.Where(o => Matches(o, patch.MappingAt("target"))).ToList();
        if (targets.Count == 0) throw new InvalidDataException($"{kustomization}: patch {patchFile} matches no resource");
        foreach (var target in targets)
            foreach (var operation in sequence.Children)
                JsonPatch.Apply(target.Node, operation, $"{kustomization}: patch {patchFile} on {target.Describe}");
    }

    private static bool Matches(KubernetesObject candidate, YamlMappingNode? target)
    {
        if (target is null) return false;
        if (target.Text("kind") is { } kind && kind != candidate.Kind) return false;
        if (target.Text("name") is { } name && name != candidate.Name) return false;
        if (target.Text("labelSelector") is { } selector)
            foreach (var requirement in selector.Split(','))
            {
                var (key, value) = KeyValue(requirement.Trim(), "labelSelector");
                if (!candidate.Labels.TryGetValue(key, out var actual) || actual != value) return false;
            }
        return true;
    }

    private void SetImage(YamlNode image)
    {
        var name = image.Text("name");
        foreach (var container in _objects.SelectMany(o => o.Containers))
        {
            var current = container.Text("image") ?? "";
            if (Containers.ImageRepository(current) != name) continue;
            var tag = current.Length > name.Length ? current[(name.Length + 1)..] : "latest";
            container.Children[new YamlScalarNode("image")] = new YamlScalarNode($"{image.Text("newName") ?? name}:{image.Text("newTag") ?? tag}");
        }
    }

    private void SetReplicas(string kustomization, YamlNode replicas)
    {
        var name = replicas.Text("name");
        var target = _objects.FirstOrDefault(o => o.Name == name && o.Kind is "Deployment" or "StatefulSet")
            ?? throw new InvalidDataException($"{kustomization}: replicas for '{name}', which is no Deployment or StatefulSet");
        ((YamlMappingNode)target.Node["spec"]).Children[new YamlScalarNode("replicas")] = new YamlScalarNode(replicas.Text("count"));
    }

    private void AddLabels(YamlNode labels)
    {
        foreach (var target in _objects)
        {
            var metadata = (YamlMappingNode)target.Node["metadata"];
            if (metadata.At("labels") is not YamlMappingNode existing)
                metadata.Children[new YamlScalarNode("labels")] = existing = new YamlMappingNode();
            foreach (var (key, value) in labels.StringMapAt("pairs"))
                existing.Children[new YamlScalarNode(key)] = new YamlScalarNode(value);
        }
    }

    private void SetNamespace(string ns)
    {
        Namespace = ns;
        foreach (var target in _objects.Where(o => o.Kind != "Namespace"))
            ((YamlMappingNode)target.Node["metadata"]).Children[new YamlScalarNode("namespace")] = new YamlScalarNode(ns);
    }
}
