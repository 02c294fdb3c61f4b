using System.Text.RegularExpressions;

namespace Mustafar.Deploy.Tests.Support;

/// <summary>What one image must be, and the checks of its Dockerfile against it.</summary>
internal sealed record ImageSpec(string Dockerfile, string Project, bool Cuda, IReadOnlySet<int> Ports, int HealthPort)
{
    /// <summary>The model service the image runs; null for the gateway.</summary>
    public ModelService? Service { get; init; }

    public string Assembly => Path.GetFileNameWithoutExtension(Project) + ".dll";

    public static ImageSpec For(ModelService service)
    {
        var server = ModelServiceConfiguration.Server(service, new Dictionary<string, string>());
        return new ImageSpec(service.Dockerfile, service.Project, Cuda: true, new HashSet<int> { server.GrpcPort, server.HttpPort }, server.HttpPort)
        {
            Service = service,
        };
    }

    public static ImageSpec Gateway()
    {
        var settings = GatewayConfiguration.AppSettings();
        var http = GatewayConfiguration.KestrelPort(settings, "Http");
        return new ImageSpec(Mesh.GatewayDockerfile, Mesh.GatewayProject, Cuda: false,
            new HashSet<int> { http, GatewayConfiguration.KestrelPort(settings, "Grpc") }, http);
    }
}

/// <summary>
/// The checks of a Dockerfile: a multi-stage build that publishes the right project from the .NET 10 SDK image
/// (with <c>-p:TorchBackend=cuda</c> for a model service, on a CUDA 12.8 Ubuntu 24.04 runtime; on the ASP.NET image for
/// the gateway), a non-root user, the ports the service listens on, a health check whose command exists in the
/// final stage, an entry point that runs what was published, and only real options in ENV.
/// </summary>
internal static partial class DockerfileChecks
{
    public const string SdkImage = "mcr.microsoft.com/dotnet/sdk:10.0";
    public const string AspNetImage = "mcr.microsoft.com/dotnet/aspnet:10.0";

    public static IEnumerable<string> Problems(Dockerfile file, ImageSpec spec)
    {
        var where = file.Source;
        if (file.Stages.Count < 2) yield return $"{where}: not a multi-stage build";
        if (file.Stages.SelectMany(s => s.All("RUN")).Any(r => r.Text.Contains("--mount=", StringComparison.Ordinal))
            && !file.Directives.ContainsKey("syntax"))
            yield return $"{where}: RUN --mount needs a '# syntax=docker/dockerfile:1' directive";

        var publishes = file.Stages.SelectMany(s => s.All("RUN").SelectMany(r => Publishes(r.Text)).Select(p => (Stage: s, Publish: p))).ToList();
        var app = publishes.FirstOrDefault(p => p.Publish.Project == spec.Project);
        if (app.Stage is null)
        {
            yield return $"{where}: no 'dotnet publish {spec.Project}'";
            yield break;
        }
        if (!app.Stage.From.StartsWith(SdkImage, StringComparison.Ordinal))
            yield return $"{where}: {spec.Project} is published in a stage FROM {app.Stage.From}, not {SdkImage}";
        if (!app.Publish.Arguments.Contains("-c Release", StringComparison.Ordinal))
            yield return $"{where}: {spec.Project} is not published with -c Release";
        var backend = TorchBackend().Match(app.Publish.Arguments);
        if (spec.Cuda && backend.Groups["value"].Value != "cuda")
            yield return $"{where}: {spec.Project} is published with {(backend.Success ? backend.Value : "no -p:TorchBackend")}, not -p:TorchBackend=cuda";
        if (!spec.Cuda && backend.Success)
            yield return $"{where}: the gateway never loads TorchSharp, yet it is published with {backend.Value}";

        var final = file.Final;
        if (spec.Cuda && !(final.From.StartsWith("nvidia/cuda:12.8", StringComparison.Ordinal) && final.From.EndsWith("ubuntu24.04", StringComparison.Ordinal)))
            yield return $"{where}: the final stage is FROM {final.From}, not a CUDA 12.8 Ubuntu 24.04 runtime";
        if (!spec.Cuda && !final.From.StartsWith(AspNetImage, StringComparison.Ordinal))
            yield return $"{where}: the final stage is FROM {final.From}, not {AspNetImage}";
        foreach (var problem in DotnetProblems(file, spec)) yield return problem;

        // What runs: the published assembly, copied from the publishing stage.
        var appDir = CopiedTo(final, app.Stage, app.Publish.Output);
        if (appDir is null) yield return $"{where}: the final stage does not copy {app.Publish.Output} from stage {app.Stage.Name}";
        var entry = final.All("ENTRYPOINT").LastOrDefault()?.ExecForm;
        if (entry is not ["dotnet", var dll] || appDir is null || dll != $"{appDir}/{spec.Assembly}")
            yield return $"{where}: ENTRYPOINT is not [\"dotnet\", \"{appDir}/{spec.Assembly}\"]";

        // The health check: the probe published here, copied into the final stage, on the HTTP/1.1 port.
        var probe = publishes.FirstOrDefault(p => p.Publish.Project == Mesh.ProbeProject);
        var probeDir = probe.Stage is null ? null : CopiedTo(final, probe.Stage, probe.Publish.Output);
        var health = final.All("HEALTHCHECK").LastOrDefault();
        if (health?.ExecForm is not { } command)
            yield return $"{where}: the final stage has no HEALTHCHECK in exec form";
        else
        {
            foreach (var problem in HealthCheckCommand.Problems(where, command, spec.HealthPort, "/readyz")) yield return problem;
            if (probeDir is null || command.Count < 2 || command[1] != $"{probeDir}/{HealthCheckCommand.ProbeAssembly}")
                yield return $"{where}: the HEALTHCHECK runs {(command.Count > 1 ? command[1] : "nothing")}, but the final stage has the probe ({Mesh.ProbeProject}) at {probeDir ?? "no path"}";
        }

        var user = final.All("USER").LastOrDefault()?.Text.Split(':')[0];
        if (user is null || !int.TryParse(user, System.Globalization.CultureInfo.InvariantCulture, out var uid) || uid == 0)
            yield return $"{where}: the final stage must end with a numeric non-root USER (Kubernetes runAsNonRoot verifies numbers), not '{user}'";

        var exposed = final.All("EXPOSE").SelectMany(e => e.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(p => int.Parse(p.Split('/')[0], System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();
        if (!exposed.SetEquals(spec.Ports))
            yield return $"{where}: EXPOSE {string.Join(" ", exposed.Order())}, but the service listens on {string.Join(" ", spec.Ports.Order())}";

        var environment = Env(final);
        var unknown = spec.Cuda
            ? ModelServiceConfiguration.UnknownVariables(where, environment)
            : GatewayConfiguration.UnknownVariables(where, environment);
        foreach (var problem in unknown) yield return problem;
        if (spec.Service is { } model && ModelServiceConfiguration.Model(model, environment).Device != "cuda")
            yield return $"{where}: a CUDA image must default to MUSTAFAR__Model__Device=cuda";
    }

    /// <summary>Every <c>dotnet publish PROJECT ... -o DIR</c> in a RUN (several may be chained with &amp;&amp;).</summary>
    public static IEnumerable<(string Project, string Arguments, string Output)> Publishes(string run) =>
        run.Split("&&").Select(c => Publish().Match(c)).Where(m => m.Success)
            .Select(m => (m.Groups["project"].Value, m.Groups["args"].Value, Output().Match(m.Groups["args"].Value).Groups["dir"].Value));

    /// <summary>The environment set by ENV instructions of a stage (KEY=value pairs).</summary>
    public static IReadOnlyDictionary<string, string> Env(DockerStage stage) =>
        stage.All("ENV").SelectMany(e => e.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(pair => pair.Split('=', 2))
            .ToDictionary(p => p[0], p => p.Length > 1 ? p[1].Trim('"') : "", StringComparer.Ordinal);

    /// <summary>The projects the Dockerfile publishes.</summary>
    public static IEnumerable<string> PublishedProjects(Dockerfile file) =>
        file.Stages.SelectMany(s => s.All("RUN")).SelectMany(r => Publishes(r.Text)).Select(p => p.Project);

    /// <summary>The destination in <paramref name="final"/> of a <c>COPY --from=stage SOURCE DEST</c>.</summary>
    private static string? CopiedTo(DockerStage final, DockerStage from, string source) =>
        final.All("COPY").Select(c => c.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(parts => parts.Length == 3 && parts[0] == $"--from={from.Name}" && parts[1] == source)
            .Select(parts => parts[2].TrimEnd('/')).FirstOrDefault();

    /// <summary>The .NET host must exist in the final stage: Microsoft's ASP.NET image has it, and a CUDA image gets
    /// it copied from that image and linked onto the PATH.</summary>
    private static IEnumerable<string> DotnetProblems(Dockerfile file, ImageSpec spec)
    {
        var final = file.Final;
        if (final.From.StartsWith(AspNetImage, StringComparison.Ordinal)) yield break;
        var runtime = final.All("COPY").Select(c => c.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .FirstOrDefault(p => p.Length == 3 && p[1] == "/usr/share/dotnet" && p[2] == "/usr/share/dotnet");
        var source = runtime is null ? null : file.Stage(runtime[0].Replace("--from=", "", StringComparison.Ordinal));
        if (source is null || !source.From.StartsWith(AspNetImage, StringComparison.Ordinal))
            yield return $"{file.Source}: the final stage does not copy the .NET runtime (/usr/share/dotnet) from {AspNetImage}";
        if (!final.All("RUN").Any(r => r.Text.Contains("ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet", StringComparison.Ordinal)))
            yield return $"{file.Source}: the final stage does not put dotnet on the PATH (/usr/bin/dotnet)";
    }

    [GeneratedRegex(@"dotnet\s+publish\s+(?<project>\S+\.csproj)(?<args>[^&]*)")]
    private static partial Regex Publish();

    [GeneratedRegex(@"(?:-o|--output)\s+(?<dir>\S+)")]
    private static partial Regex Output();

    [GeneratedRegex(@"-p:TorchBackend=(?<value>\S*)")]
    private static partial Regex TorchBackend();
}
