using System.Net;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;
using Microsoft.Extensions.DependencyInjection;
using Mustafar.Serving.Tests.Host;
using Mustafar.Testing;

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

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, await host.HealthAsync());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, await host.HealthAsync(ServiceName));
        Assert.Equal(HttpStatusCode.OK, await host.GetStatusAsync("/healthz"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await host.GetStatusAsync("/readyz"));
        var early = await Assert.ThrowsAsync<RpcException>(() => host.TransformAsync([1, 2, 3, 4]));
        Assert.Equal(StatusCode.Unavailable, early.StatusCode);
        Assert.Contains("loading", early.Status.Detail, StringComparison.Ordinal);

        probe.LoadGate.Set();
        await host.WaitUntilServingAsync();

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await host.HealthAsync(ServiceName));
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
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, await host.HealthAsync());
        var refused = await Assert.ThrowsAsync<RpcException>(() => host.TransformAsync([1, 2, 3, 4]));
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        Assert.Contains("failed to load", refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_model_whose_kernel_self_check_fails_stays_not_ready_names_the_op_and_keeps_running()
    {
        // A checkpoint whose weights hold NaN computes NaN in every kernel, float64 included: the check fails it.
        var folder = TestHost.NewCheckpointFolder();
        TinyMlp.WriteCheckpoint(folder, TestHost.CheckpointSeed, poisoned: "fc1.weight");
        await using var host = await TestHost.StartAsync(folder);

        await Eventually.TrueAsync(() => host.App.Services.GetRequiredService<ServingStatus>().State == ServingState.Failed, "the host failed");
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, await host.HealthAsync());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await host.GetStatusAsync("/readyz"));
        var refused = await Assert.ThrowsAsync<RpcException>(() => host.TransformAsync([1, 2, 3, 4]));
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        foreach (var part in new[] { "kernel self-check", "linear in=4", "cpu", "float32", "NaN or Inf" })
            Assert.Contains(part, refused.Status.Detail, StringComparison.Ordinal);
        var metrics = await host.MetricsAsync();
        Assert.Contains("mustafar_kernel_selfcheck_shapes{", metrics, StringComparison.Ordinal);
        Assert.Contains("outcome=\"failed\"", metrics, StringComparison.Ordinal);
        // Not-ready, not stopped: the operator reads why from the running host.
        Assert.False(host.App.Lifetime.ApplicationStopping.IsCancellationRequested);
    }

    [Fact]
    public async Task A_healthy_model_reports_its_kernel_self_check_in_metrics()
    {
        await using var host = await TestHost.StartServingAsync();
        var metrics = await host.MetricsAsync();
        Assert.Matches("mustafar_kernel_selfcheck_shapes\\{[^}]*op=\"linear\"[^}]*outcome=\"passed\"[^}]*\\} 2", metrics);
        Assert.Contains("mustafar_kernel_selfcheck_seconds", metrics, StringComparison.Ordinal);
        var report = host.App.Services.GetRequiredService<ModelRuntime<TinyMlp>>().KernelCheck;
        Assert.NotNull(report);
        Assert.True(report.Passed);
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
