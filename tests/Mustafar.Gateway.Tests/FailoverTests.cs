using Mustafar.Gateway.TestServers;

namespace Mustafar.Gateway.Tests;

/// <summary>Two CLIP destinations behind one pool: health checks and retries keep requests succeeding when one fails.</summary>
public sealed class FailoverTests : IAsyncLifetime
{
    private TestMesh _mesh = null!;

    public async Task InitializeAsync() => _mesh = await TestMesh.StartAsync(new TestMeshOptions { ClipReplicas = 2, WithRedis = false });

    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    private Task<System.Text.Json.JsonElement> AskNewImageAsync() =>
        ChatApi.AskAsync(_mesh.Gateway.Http, ChatApi.Request(TestImages.DataUrl(TestImages.Unique()), "What is it?"));

    [Fact]
    public async Task Killing_one_clip_destination_leaves_requests_served_by_the_other()
    {
        // Load spreads over both while both live (bounded: P2C picks each of two at random).
        for (var i = 0; i < 64 && !_mesh.Clips.All(c => c.EncodeCalls > 0); i++) await AskNewImageAsync();
        Assert.All(_mesh.Clips, c => Assert.True(c.EncodeCalls > 0));

        await _mesh.ClipHosts[0].StopAsync();
        var survivor0 = _mesh.Clips[1].EncodeCalls;
        var dead0 = _mesh.Clips[0].EncodeCalls;
        for (var i = 0; i < 8; i++) await AskNewImageAsync();

        Assert.Equal(survivor0 + 8, _mesh.Clips[1].EncodeCalls);
        Assert.Equal(dead0, _mesh.Clips[0].EncodeCalls);
    }

    [Fact]
    public async Task A_destination_whose_readyz_fails_is_taken_out_by_active_health_checks()
    {
        _mesh.ClipHosts[0].Ready = false;
        await Eventually.ReturnsAsync(() => _mesh.Gateway.Http.GetStringAsync("/readyz"),
            body => body.Contains("\"cluster\":\"clip\",\"destinations\":2,\"available\":1", StringComparison.Ordinal), "the probe marking clip-0 unhealthy");

        var before = _mesh.Clips[0].EncodeCalls;
        for (var i = 0; i < 6; i++) await AskNewImageAsync();
        Assert.Equal(before, _mesh.Clips[0].EncodeCalls);

        _mesh.ClipHosts[0].Ready = true;
        await Eventually.ReturnsAsync(() => _mesh.Gateway.Http.GetStringAsync("/readyz"),
            body => body.Contains("\"cluster\":\"clip\",\"destinations\":2,\"available\":2", StringComparison.Ordinal), "the probe bringing clip-0 back");
    }

    [Fact]
    public async Task An_unreachable_destination_is_retried_once_on_another_and_marked_unhealthy()
    {
        // FirstAlphabetical always picks clip-0 first: a port nobody listens on.
        await using var gateway = await _mesh.StartGatewayAsync(s => s
            .Set("ReverseProxy:Clusters:clip:LoadBalancingPolicy", "FirstAlphabetical")
            .Set("ReverseProxy:Clusters:clip:HealthCheck:Active:Enabled", "false")
            .Set("ReverseProxy:Clusters:clip:Destinations:clip-0:Address", "http://127.0.0.1:" + Mustafar.Testing.FreePorts.Next())
            .Set("ReverseProxy:Clusters:clip:Destinations:clip-0:Health", "http://127.0.0.1:" + Mustafar.Testing.FreePorts.Next()));
        var served0 = _mesh.Clips[1].EncodeCalls;

        await ChatApi.AskAsync(gateway.Http, ChatApi.Request(TestImages.DataUrl(TestImages.Unique()), "Q?"));
        Assert.Equal(1, gateway.Metrics.UpstreamRetries.WithLabels("clip").Value);
        Assert.Equal(served0 + 1, _mesh.Clips[1].EncodeCalls);

        // clip-0 is now passively unhealthy: the next request goes straight to clip-1, without a retry.
        await ChatApi.AskAsync(gateway.Http, ChatApi.Request(TestImages.DataUrl(TestImages.Unique()), "Q?"));
        Assert.Equal(1, gateway.Metrics.UpstreamRetries.WithLabels("clip").Value);
        Assert.Equal(served0 + 2, _mesh.Clips[1].EncodeCalls);
    }

    [Fact]
    public async Task A_proxied_call_that_cannot_reach_its_destination_takes_it_out_of_the_pool_for_proxy_and_pipeline()
    {
        // FirstAlphabetical always picks clip-0 while it is available: a port nobody listens on.
        await using var gateway = await _mesh.StartGatewayAsync(s => s
            .Set("ReverseProxy:Clusters:clip:LoadBalancingPolicy", "FirstAlphabetical")
            .Set("ReverseProxy:Clusters:clip:HealthCheck:Active:Enabled", "false")
            .Set("ReverseProxy:Clusters:clip:Destinations:clip-0:Address", "http://127.0.0.1:" + Mustafar.Testing.FreePorts.Next())
            .Set("ReverseProxy:Clusters:clip:Destinations:clip-0:Health", "http://127.0.0.1:" + Mustafar.Testing.FreePorts.Next()));
        var proxied = new Mustafar.Contracts.Clip.V1.ClipEncoder.ClipEncoderClient(gateway.Grpc);
        Task<Mustafar.Contracts.Clip.V1.EncodeResponse> EncodeAsync() =>
            proxied.EncodeAsync(new Mustafar.Contracts.Clip.V1.EncodeRequest { Image = Google.Protobuf.ByteString.CopyFrom(TestImages.Unique()) }).ResponseAsync;

        var refused = await Assert.ThrowsAsync<Grpc.Core.RpcException>(EncodeAsync);
        Assert.Equal(Grpc.Core.StatusCode.Unavailable, refused.StatusCode);

        // One failure is enough (YARP's TransportFailureRate policy kept such a destination while its failure rate
        // over the last minute stayed low): the proxy's next calls and the pipeline's go to clip-1, without a retry.
        var served1 = _mesh.Clips[1].EncodeCalls;
        for (var i = 0; i < 3; i++) await EncodeAsync();
        await ChatApi.AskAsync(gateway.Http, ChatApi.Request(TestImages.DataUrl(TestImages.Unique()), "Q?"));
        Assert.Equal(served1 + 4, _mesh.Clips[1].EncodeCalls);
        Assert.Equal(0, gateway.Metrics.UpstreamRetries.WithLabels("clip").Value);
    }
}
