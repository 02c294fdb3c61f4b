using Mustafar.Gateway.TestServers;

namespace Mustafar.Gateway.Tests;

/// <summary>Redis is an accelerator: when it dies requests keep succeeding (the error metric rises), and when it
/// comes back the cache resumes by itself. This class has its own mesh and Redis, which it kills.</summary>
public sealed class RedisOutageTests : IAsyncLifetime
{
    private TestMesh _mesh = null!;

    public async Task InitializeAsync() => _mesh = await TestMesh.StartAsync();

    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    private Task<System.Text.Json.JsonElement> AskAsync(string image) =>
        ChatApi.AskAsync(_mesh.Gateway.Http, ChatApi.Request(image, "What is on the mat?"));

    [SkippableFact]
    public async Task Requests_succeed_while_redis_is_down_and_caching_resumes_when_it_returns()
    {
        var redis = _mesh.Redis!;
        var metrics = _mesh.Gateway.Metrics;
        var image = TestImages.DataUrl(TestImages.Unique());
        await Eventually.ReturnsAsync(() => AskAsync(image), c => ChatApi.Cache(c, "clip") == "hit", "the cache working before the outage");

        await redis.StopAsync();
        var errors0 = metrics.CacheErrors.WithLabels("get").Value + metrics.CacheErrors.WithLabels("unavailable").Value;
        var clip0 = _mesh.ClipEncodeCalls;
        for (var i = 0; i < 3; i++)
        {
            var during = await AskAsync(image); // known image, but the cache is gone: computed again
            Assert.Equal("error", ChatApi.Cache(during, "clip"));
            Assert.False(string.IsNullOrEmpty(ChatApi.Answer(during)));
        }
        Assert.Equal(clip0 + 3, _mesh.ClipEncodeCalls);
        // Two lookups per request (CLIP and the unconditional half: guidance 0 needs no conditional half).
        var errors1 = metrics.CacheErrors.WithLabels("get").Value + metrics.CacheErrors.WithLabels("unavailable").Value;
        Assert.True(errors1 >= errors0 + 6, $"every feature lookup during the outage counts as a cache error ({errors0} -> {errors1})");
        await Eventually.ReturnsAsync(() => _mesh.Gateway.Http.GetStringAsync("/readyz"), body => body.Contains("\"disconnected\"", StringComparison.Ordinal),
            "readiness reporting the cache disconnected");

        await redis.StartAsync();
        var fresh = TestImages.DataUrl(TestImages.Unique());
        await Eventually.ReturnsAsync(() => AskAsync(fresh), c => ChatApi.Cache(c, "clip") == "miss", "a feature stored after the restart");
        var hit = await AskAsync(fresh);
        Assert.Equal("hit", ChatApi.Cache(hit, "clip"));
        Assert.Equal("hit", ChatApi.Cache(hit, "diffusion_unconditional"));
    }

    [SkippableFact]
    public async Task A_slow_redis_costs_at_most_the_operation_timeout_and_requests_still_succeed()
    {
        await using var gateway = await _mesh.StartGatewayAsync(s => s.Set("Gateway:Cache:OperationTimeout", TimeSpan.FromMilliseconds(200)));
        var image = TestImages.DataUrl(TestImages.Unique());
        await Eventually.ReturnsAsync(() => ChatApi.AskAsync(gateway.Http, ChatApi.Request(image, "Q?")),
            c => ChatApi.Cache(c, "clip") == "hit", "the cache working before the stall");
        var timeouts0 = gateway.Metrics.CacheErrors.WithLabels("get").Value;

        await _mesh.Redis!.PauseAsync(TimeSpan.FromSeconds(5));
        var during = await ChatApi.AskAsync(gateway.Http, ChatApi.Request(image, "Q?"));

        Assert.Equal("error", ChatApi.Cache(during, "clip"));
        Assert.False(string.IsNullOrEmpty(ChatApi.Answer(during)));
        Assert.True(gateway.Metrics.CacheErrors.WithLabels("get").Value > timeouts0);
        await Eventually.ReturnsAsync(() => ChatApi.AskAsync(gateway.Http, ChatApi.Request(image, "Q?")),
            c => ChatApi.Cache(c, "clip") == "hit", "the cache answering again after the stall");
    }
}
