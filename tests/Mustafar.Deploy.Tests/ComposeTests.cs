using Mustafar.Deploy.Tests.Support;

namespace Mustafar.Deploy.Tests;

public sealed class ComposeTests
{
    [Fact]
    public void Compose_file_matches_the_services_options_ports_and_pools()
    {
        var compose = ComposeFile.Load(Mesh.ComposeFile);

        Assert.Empty(ComposeChecks.Problems(compose));
        Assert.Equal(["clip-encoder", "diffusion-encoder", "gateway", "generator", "redis"], compose.Services.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Model_services_can_be_scaled_and_the_gateway_finds_replicas_by_service_name()
    {
        var compose = ComposeFile.Load(Mesh.ComposeFile);
        var gateway = GatewayConfiguration.Effective(compose.Services[Mesh.Gateway].Environment);

        foreach (var model in Mesh.ModelServices)
        {
            Assert.Empty(compose.Services[model.Name].Ports);
            Assert.Null(compose.Services[model.Name].Node.At("container_name")); // a fixed name forbids --scale
            var destinations = GatewayConfiguration.Destinations(gateway).Where(d => d.Cluster == model.Cluster).ToList();
            Assert.NotEmpty(destinations);
            Assert.All(destinations, d => Assert.Equal(model.Name, new Uri(d.Address!).Host));
        }
        Assert.True(TimeSpan.Parse(gateway["Gateway:Upstream:DiscoveryRefresh"]!, System.Globalization.CultureInfo.InvariantCulture) > TimeSpan.Zero);
    }

    [Fact]
    public void Cpu_override_removes_the_gpus_and_builds_cpu_images()
    {
        Assert.Empty(ComposeChecks.CpuOverrideProblems(ComposeFile.Load(Mesh.ComposeFile), ComposeFile.Load(Mesh.ComposeCpuFile)));
    }

    [Theory]
    [InlineData("MUSTAFAR__Model__Path: /models/${MUSTAFAR_CLIP_MODEL", "MUSTAFAR__Model__Pth: /models/${MUSTAFAR_CLIP_MODEL", "MUSTAFAR__Model__Pth is not an option")]
    [InlineData("MUSTAFAR__Gateway__Cache__Redis: redis:6379", "MUSTAFAR__Gateway__Cache__Rediss: redis:6379", "MUSTAFAR__Gateway__Cache__Rediss: not an option of the gateway")]
    [InlineData("MUSTAFAR__Gateway__Cache__Redis: redis:6379", "MUSTAFAR__Gateway__Cache__Redis: cache:6379", "Gateway:Cache:Redis is 'cache:6379'")]
    [InlineData("clip-0__Address: http://clip-encoder:50051", "clip-0__Address: http://clip-encoder:5101", "Destinations:clip-0:Address is http://clip-encoder:5101")]
    [InlineData("generator-0__Health: http://generator:8080", "generator-0__Health: http://generator:50051", "Destinations:generator-0:Health is http://generator:50051")]
    [InlineData("Destinations__diffusion-0__Address", "Destinations__diffusion-1__Address", "has no destination 'diffusion-1'")]
    [InlineData("MUSTAFAR__Server__HttpPort: \"8080\"", "MUSTAFAR__Server__HttpPort: \"8090\"", "the health check probes port 8080; the HTTP/1.1 port is 8090")]
    [InlineData("- driver: nvidia", "- driver: amd", "no NVIDIA GPU reservation")]
    [InlineData("MUSTAFAR__Model__Device: cuda", "MUSTAFAR__Model__Device: cpu", "a GPU is reserved but MUSTAFAR__Model__Device is 'cpu'")]
    [InlineData("/models:ro", "/models", "is not mounted read-only")]
    [InlineData("stop_grace_period: 150s", "stop_grace_period: 100s", "stop_grace_period 100 s does not exceed the drain timeout (120 s)")]
    [InlineData("http://127.0.0.1:8080/readyz\"]\n\nservices", "http://127.0.0.1:8080/healthz\"]\n\nservices", "probes /healthz, not /readyz")]
    [InlineData("dockerfile: deploy/docker/generator.Dockerfile", "dockerfile: deploy/docker/llm.Dockerfile", "builds deploy/docker/llm.Dockerfile")]
    [InlineData("    image: mustafar/clip-encoder:${MUSTAFAR_TAG:-latest}\n", "    image: mustafar/clip-encoder:${MUSTAFAR_TAG:-latest}\n    ports:\n      - \"50051:50051\"\n", "clip-encoder: publishes ports (50051)")]
    [InlineData("      generator:\n        condition: service_healthy", "      generator:\n        condition: service_started", "depends on generator with service_started")]
    public void A_mistake_in_the_compose_file_fails_the_checks(string from, string to, string expected)
    {
        var broken = ComposeFile.Parse(Mutations.Replace(File.ReadAllText(Mesh.ComposeFile), from, to), "docker-compose.yml");

        var problems = ComposeChecks.Problems(broken).ToList();

        Assert.Contains(problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("devices: !reset []\n\n  diffusion-encoder", "devices: []\n\n  diffusion-encoder", "clip-encoder: the GPU reservation is not removed")]
    [InlineData("TORCH_BACKEND: cpu", "TORCH_BACKEND: cuda", "build arg TORCH_BACKEND is not cpu")]
    [InlineData("RUNTIME_IMAGE: ubuntu:24.04", "RUNTIME_IMAGES: ubuntu:24.04", "build arg RUNTIME_IMAGES is not an ARG")]
    [InlineData("MUSTAFAR__Model__Device: cpu", "MUSTAFAR__Model__Devise: cpu", "MUSTAFAR__Model__Devise is not an option")]
    public void A_mistake_in_the_cpu_override_fails_the_checks(string from, string to, string expected)
    {
        var broken = ComposeFile.Parse(Mutations.Replace(File.ReadAllText(Mesh.ComposeCpuFile), from, to), "docker-compose.cpu.yml");

        var problems = ComposeChecks.CpuOverrideProblems(ComposeFile.Load(Mesh.ComposeFile), broken).ToList();

        Assert.Contains(problems, p => p.Contains(expected, StringComparison.Ordinal));
    }
}
