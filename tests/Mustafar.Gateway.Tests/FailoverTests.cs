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
}
