using Mustafar.Deploy.Tests.Support;

namespace Mustafar.Deploy.Tests;

public sealed class DockerfileTests
{
    public static TheoryData<string> Images => new(Mesh.ModelServices.Select(s => s.Name).Append(Mesh.Gateway));

    [Theory]
    [MemberData(nameof(Images))]
    public void Dockerfile_builds_the_service_image(string service)
    {
        var spec = Spec(service);

        Assert.Empty(DockerfileChecks.Problems(Dockerfile.Load(Mesh.InRepo(spec.Dockerfile)), spec));
    }

    [Theory]
    [MemberData(nameof(Images))]
    public void Dockerfile_publishes_projects_that_exist(string service)
    {
        var spec = Spec(service);
        var projects = DockerfileChecks.PublishedProjects(Dockerfile.Load(Mesh.InRepo(spec.Dockerfile))).ToList();
        Assert.Equal([Mesh.ProbeProject, spec.Project], projects);
        Assert.All(projects, project => Assert.True(File.Exists(Mesh.InRepo(project)), $"{spec.Dockerfile} publishes {project}, which does not exist"));
    }

    [Theory]
    [MemberData(nameof(ModelServices))]
    public void Cpu_build_args_make_a_cpu_image_of_the_same_dockerfile(string service)
    {
        var path = Mesh.InRepo(Mesh.ModelService(service).Dockerfile);
        var cpu = Dockerfile.Load(path, new Dictionary<string, string> { ["TORCH_BACKEND"] = "cpu", ["RUNTIME_IMAGE"] = "ubuntu:24.04" });

        Assert.Contains(cpu.Stages.SelectMany(s => s.All("RUN")), r => r.Text.Contains("-p:TorchBackend=cpu", StringComparison.Ordinal));
        Assert.Equal("ubuntu:24.04", cpu.Final.From);
        Assert.Equal("cpu", DockerfileChecks.Env(cpu.Final)["MUSTAFAR__Model__Device"]);
    }

    public static TheoryData<string> ModelServices => new(Mesh.ModelServices.Select(s => s.Name));

    [Theory]
    [InlineData("generator", "ARG TORCH_BACKEND=cuda\nWORKDIR", "ARG TORCH_BACKEND=cpu\nWORKDIR", "not -p:TorchBackend=cuda")]
    [InlineData("clip-encoder", "ARG RUNTIME_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04", "ARG RUNTIME_IMAGE=nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04", "not a CUDA 12.8 Ubuntu 24.04 runtime")]
    [InlineData("clip-encoder", "USER 1654:1654", "USER root", "numeric non-root USER")]
    [InlineData("diffusion-encoder", "EXPOSE 50051 8080", "EXPOSE 50051", "EXPOSE 50051, but the service listens on 8080 50051")]
    [InlineData("diffusion-encoder", "COPY --from=build /out/probe /opt/mustafar/probe", "COPY --from=build /out/probe /opt/probe", "the final stage has the probe")]
    [InlineData("generator", "http://127.0.0.1:8080/readyz", "http://127.0.0.1:50051/readyz", "probes port 50051; the HTTP/1.1 port is 8080")]
    [InlineData("generator", "ENTRYPOINT [\"dotnet\", \"/app/Mustafar.Generator.dll\"]", "ENTRYPOINT [\"dotnet\", \"/app/Generator.dll\"]", "ENTRYPOINT is not")]
    [InlineData("clip-encoder", "COPY --from=dotnet-runtime /usr/share/dotnet /usr/share/dotnet\n", "", "does not copy the .NET runtime")]
    [InlineData("clip-encoder", "    MUSTAFAR__Model__Device=${TORCH_BACKEND}", "    MUSTAFAR__Model__Devise=${TORCH_BACKEND}", "MUSTAFAR__Model__Devise is not an option")]
    [InlineData("gateway", "ENV ASPNETCORE_HTTP_PORTS=", "ENV MUSTAFAR__Gateway__Cache__Redis=redis", "")]
    [InlineData("gateway", "ENV ASPNETCORE_HTTP_PORTS=", "ENV MUSTAFAR__Gateway__Cache__Rediss=redis", "MUSTAFAR__Gateway__Cache__Rediss: not an option of the gateway")]
    [InlineData("gateway", "FROM ${ASPNET_IMAGE} AS final", "FROM nvidia/cuda:12.8.1-base-ubuntu24.04 AS final", "not mcr.microsoft.com/dotnet/aspnet:10.0")]
    [InlineData("gateway", "-c Release -o /out/app", "-c Release -p:TorchBackend=cuda -o /out/app", "the gateway never loads TorchSharp")]
    public void A_mistake_in_a_dockerfile_fails_the_checks(string service, string from, string to, string expected)
    {
        var spec = Spec(service);
        var broken = Dockerfile.Parse(Mutations.Replace(File.ReadAllText(Mesh.InRepo(spec.Dockerfile)), from, to), Path.GetFileName(spec.Dockerfile));

        var problems = DockerfileChecks.Problems(broken, spec).ToList();

        if (expected.Length == 0) Assert.Empty(problems); // a real option is accepted
        else Assert.Contains(problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Dockerignore_keeps_what_the_builds_read_and_leaves_out_build_outputs_and_weights()
    {
        var ignore = DockerIgnore.Load(Mesh.InRepo(".dockerignore"));
        string[] needed =
        [
            "Directory.Build.props", "Directory.Packages.props", "global.json", "protos/mustafar/clip/v1/clip.proto",
            Mesh.ProbeProject, Mesh.GatewayProject, "gateway/Mustafar.Gateway/appsettings.json",
            "services/Mustafar.Serving/Mustafar.Serving.csproj", "services/Mustafar.Torch/Mustafar.Torch.csproj",
            .. Mesh.ModelServices.Select(s => s.Project),
        ];
        string[] outputs = [".git/HEAD", "services/Mustafar.Serving/bin/Release/x.dll", "gateway/Mustafar.Gateway/obj/project.assets.json", "models/llava-1.5-7b-hf/config.json", ".mesh/pids"];

        Assert.All(needed, path => Assert.False(ignore.Excludes(path), $".dockerignore leaves out {path}, which the builds need"));
        Assert.All(outputs, path => Assert.True(ignore.Excludes(path), $".dockerignore sends {path} into the build context"));
    }

    private static ImageSpec Spec(string service) =>
        service == Mesh.Gateway ? ImageSpec.Gateway() : ImageSpec.For(Mesh.ModelService(service));
}
