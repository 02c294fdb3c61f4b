using Grpc.Core;
using Grpc.Health.V1;
using Mustafar.Gateway.TestServers;
using Mustafar.Testing;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace Mustafar.Gateway.Tests;

/// <summary>The only CLIP replica is down: readiness (HTTP and gRPC) says so, and a request that needs CLIP fails at
/// once with 503 naming the pool and a Retry-After, instead of being sent to the dead replica (YARP's HealthyOrPanic
/// policy, its default, makes an unhealthy destination available again once none is healthy).</summary>
public sealed class UnhealthyPoolTests : IAsyncLifetime
{
    private TestMesh _mesh = null!;
    private GatewayHost _gateway = null!;

    public async Task InitializeAsync()
    {
        _mesh = await TestMesh.StartAsync(new TestMeshOptions { WithRedis = false });
        _gateway = await _mesh.StartGatewayAsync(s => s.Set("ReverseProxy:Clusters:clip:HealthCheck:AvailableDestinationsPolicy", "HealthyOrPanic"));
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _mesh.DisposeAsync();
    }

    private async Task StopTheOnlyClipReplicaAsync()
    {
        await _mesh.ClipHosts[0].StopAsync();
        var proxy = (IProxyStateLookup)_gateway.Services.GetService(typeof(IProxyStateLookup))!;
        await Eventually.TrueAsync(() => proxy.TryGetCluster("clip", out var clip)
            && clip.DestinationsState.AllDestinations.All(d => d.Health.Active == DestinationHealth.Unhealthy), "the probe marking clip-0 unhealthy");
    }

    [Fact]
    public async Task Readyz_and_grpc_health_are_not_ready_while_the_only_clip_replica_is_down()
    {
        Assert.Equal(System.Net.HttpStatusCode.OK, await _gateway.Http.StatusAsync("/readyz"));
        await StopTheOnlyClipReplicaAsync();

        using var readyz = await _gateway.Http.GetAsync(new Uri("/readyz", UriKind.Relative));
        var body = await readyz.Content.ReadAsStringAsync();
        Assert.True(readyz.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable, body);
        Assert.Contains("\"cluster\":\"clip\",\"destinations\":1,\"available\":0", body, StringComparison.Ordinal);
        var health = new Health.HealthClient(_gateway.Grpc);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, await health.StatusAsync());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, await health.StatusAsync("mustafar.vqa.v1.VisualQuestionAnswering"));
    }

    [Fact]
    public async Task A_question_while_the_only_clip_replica_is_down_is_503_naming_the_pool_with_retry_after()
    {
        await StopTheOnlyClipReplicaAsync();

        using var response = await ChatApi.PostAsync(_gateway.Http, ChatApi.Request(TestImages.DataUrl(TestImages.Unique()), "Q?"));
        var retryAfter = response.Headers.RetryAfter;
        var error = await ChatApi.ErrorAsync(response, 503);
        Assert.Equal("no_destination", error.GetProperty("code").GetString());
        Assert.StartsWith("the clip pool has no healthy destination (clip-0: its /readyz probe fails)", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.NotNull(retryAfter?.Delta);
        Assert.Equal(0, _gateway.Metrics.UpstreamRetries.WithLabels("clip").Value); // nothing was sent to the dead replica

        var proxied = await Assert.ThrowsAsync<RpcException>(() => new Mustafar.Contracts.Clip.V1.ClipEncoder.ClipEncoderClient(_gateway.Grpc)
            .GetModelInfoAsync(new Mustafar.Contracts.Clip.V1.GetModelInfoRequest()).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, proxied.StatusCode);
        Assert.StartsWith("the clip pool has no healthy destination", proxied.Status.Detail, StringComparison.Ordinal);
    }
}
