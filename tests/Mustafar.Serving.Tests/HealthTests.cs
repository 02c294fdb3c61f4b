using System.Net;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;
using Mustafar.Serving.Tests.Host;
using ServingStatusCode = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Mustafar.Serving.Tests;

public class HealthTests
{
    private const string ServiceName = "mustafar.serving.testing.v1.TestModel";

    [Fact]
    public async Task Health_is_not_serving_until_the_model_has_loaded_and_warmed_up()
    {
        var probe = new TestProbe();
        probe.LoadGate.Reset();
        await using var host = await TestHost.StartAsync(probe: probe);

        Assert.Equal(ServingStatusCode.NotServing, await host.HealthAsync());
        Assert.Equal(ServingStatusCode.NotServing, await host.HealthAsync(ServiceName));
        Assert.Equal(HttpStatusCode.OK, await host.GetStatusAsync("/healthz"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await host.GetStatusAsync("/readyz"));
        var early = await Assert.ThrowsAsync<RpcException>(() => host.TransformAsync([1, 2, 3, 4]));
        Assert.Equal(StatusCode.Unavailable, early.StatusCode);
        Assert.Contains("loading", early.Status.Detail, StringComparison.Ordinal);

        probe.LoadGate.Set();
        await host.WaitUntilServingAsync();

        Assert.Equal(ServingStatusCode.Serving, await host.HealthAsync(ServiceName));
        Assert.Equal(HttpStatusCode.OK, await host.GetStatusAsync("/readyz"));
        Assert.Equal(TinyMlp.Width, (await host.TransformAsync([1, 2, 3, 4])).Values.Count);
        // Load, warm-up and requests all ran on the one inference thread.
        Assert.Single(probe.ModelThreads);
    }

    [Fact]
    public async Task Unknown_health_service_names_are_not_found()
    {
        await using var host = await TestHost.StartServingAsync();
        var error = await Assert.ThrowsAsync<RpcException>(() => host.HealthAsync("no.such.Service"));
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task Probes_answer_over_http2_prior_knowledge_on_the_grpc_port()
    {
        // YARP's HTTP/2 destinations probe with prior knowledge, on the port they send gRPC to.
        await using var host = await TestHost.StartServingAsync();
        using var http2 = new HttpClient
        {
            BaseAddress = host.GrpcAddress,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = TestHost.Patience,
        };
        using var ready = await http2.GetAsync(new Uri("/readyz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(HttpVersion.Version20, ready.Version);
    }

    [Fact]
    public async Task Reflection_lists_the_model_service_and_health()
    {
        await using var host = await TestHost.StartServingAsync();
        var reflection = new ServerReflection.ServerReflectionClient(host.Channel);
        using var call = reflection.ServerReflectionInfo(deadline: DateTime.UtcNow + TestHost.Patience);
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var names = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains(ServiceName, names);
        Assert.Contains("grpc.health.v1.Health", names);
    }

    [Fact]
    public async Task A_model_that_fails_to_load_is_neither_live_nor_ready_and_asks_the_host_to_stop()
    {
        var folder = TestHost.NewCheckpointFolder();
        await File.WriteAllTextAsync(Path.Combine(folder, "model.safetensors"), "not a safetensors file");
        await using var host = await TestHost.StartAsync(folder);

        await Task.Delay(Timeout.Infinite, host.App.Lifetime.ApplicationStopping)
            .ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(TestHost.Patience);

        // Until the host's owner stops it, the endpoints still say why.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await host.GetStatusAsync("/healthz"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await host.GetStatusAsync("/readyz"));
        Assert.Equal(ServingStatusCode.NotServing, await host.HealthAsync());
        var refused = await Assert.ThrowsAsync<RpcException>(() => host.TransformAsync([1, 2, 3, 4]));
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        Assert.Contains("failed to load", refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunServingAsync_returns_1_when_the_model_fails_to_load()
    {
        var folder = TestHost.NewCheckpointFolder();
        await File.WriteAllTextAsync(Path.Combine(folder, "model.safetensors"), "not a safetensors file");
        var app = TestHost.Build(folder, null, new TestProbe());
        Assert.Equal(1, await app.RunServingAsync().WaitAsync(TestHost.Patience));
    }
}
