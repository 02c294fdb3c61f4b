using System.Text.Json.Nodes;
using Grpc.Core;
using Mustafar.Gateway.TestServers;
using Mustafar.Contracts.Vqa.V1;

namespace Mustafar.Gateway.Tests;

/// <summary>API keys, the concurrency limit, deadlines and cancellation. Each test runs its own gateway (with the
/// setting under test) over the shared test services.</summary>
public sealed class ProtectionTests(MeshFixture fixture) : IClassFixture<MeshFixture>
{
    private TestMesh Mesh => fixture.Mesh;

    private static JsonNode NewRequest(bool stream = false) => ChatApi.Request(TestImages.DataUrl(TestImages.Unique()), "Q?", stream: stream);

    private static AskRequest NewAsk() => new() { Image = Google.Protobuf.ByteString.CopyFrom(TestImages.Unique()), Question = "Q?" };

    /// <summary>A first request (connections, model info, JIT), so that a deadline test's short deadline is spent
    /// waiting on the held generator rather than on a cold start.</summary>
    private static async Task WarmUpAsync(GatewayHost gateway) => await ChatApi.AskAsync(gateway.Http, NewRequest());

    [Fact]
    public async Task Api_keys_are_off_by_default_and_enforced_when_configured()
    {
        using (var open = await ChatApi.PostAsync(Mesh.Gateway.Http, NewRequest()))
            Assert.True(open.IsSuccessStatusCode);

        await using var gateway = await Mesh.StartGatewayAsync(s => s.Set("Gateway:ApiKeys:0", "key-one").Set("Gateway:ApiKeys:1", "key-two"));
        using (var none = await ChatApi.PostAsync(gateway.Http, NewRequest()))
        {
            var error = await ChatApi.ErrorAsync(none, 401);
            Assert.Equal("authentication_error", error.GetProperty("type").GetString());
            Assert.Equal("invalid_api_key", error.GetProperty("code").GetString());
        }
        using (var wrong = await ChatApi.PostAsync(gateway.Http, NewRequest(), apiKey: "key-three"))
            await ChatApi.ErrorAsync(wrong, 401);
        using (var right = await ChatApi.PostAsync(gateway.Http, NewRequest(), apiKey: "key-two"))
            Assert.True(right.IsSuccessStatusCode, await right.Content.ReadAsStringAsync());
        Assert.True((await gateway.Http.GetAsync("/healthz")).IsSuccessStatusCode); // probes stay open

        var noKey = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = gateway.Vqa.Ask(NewAsk());
            await call.ResponseStream.MoveNext(CancellationToken.None);
        });
        Assert.Equal(StatusCode.Unauthenticated, noKey.StatusCode);
        using var authorized = gateway.Vqa.Ask(NewAsk(), new Metadata { { "authorization", "Bearer key-one" } });
        await foreach (var _ in authorized.ResponseStream.ReadAllAsync()) { }

        var proxied = await Assert.ThrowsAsync<RpcException>(() => new Mustafar.Contracts.Clip.V1.ClipEncoder.ClipEncoderClient(gateway.Grpc)
            .GetModelInfoAsync(new Mustafar.Contracts.Clip.V1.GetModelInfoRequest()).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, proxied.StatusCode);
    }

    [Fact]
    public async Task Requests_over_the_concurrency_limit_get_429()
    {
        await using var gateway = await Mesh.StartGatewayAsync(s => s.Set("Gateway:Limits:MaxConcurrentRequests", 1));
        var generate0 = Mesh.Generator.GenerateCalls;
        Mesh.Generator.Gate.Close();
        Task<HttpResponseMessage> first;
        try
        {
            first = ChatApi.PostAsync(gateway.Http, NewRequest());
            await Eventually.TrueAsync(() => Mesh.Generator.GenerateCalls > generate0, "the first request reaching the generator");

            using (var second = await ChatApi.PostAsync(gateway.Http, NewRequest()))
            {
                var error = await ChatApi.ErrorAsync(second, 429);
                Assert.Equal("rate_limit_error", error.GetProperty("type").GetString());
                Assert.NotNull(second.Headers.RetryAfter?.Delta);
            }
            var grpc = await Assert.ThrowsAsync<RpcException>(async () =>
            {
                using var call = gateway.Vqa.Ask(NewAsk());
                await call.ResponseStream.MoveNext(CancellationToken.None);
            });
            Assert.Equal(StatusCode.ResourceExhausted, grpc.StatusCode);
            Assert.True(gateway.Metrics.Rejected.WithLabels("concurrency").Value >= 2);
        }
        finally
        {
            Mesh.Generator.Gate.Open();
        }
        using var firstResponse = await first;
        Assert.True(firstResponse.IsSuccessStatusCode);
    }

    [Fact]
    public async Task Http_deadline_is_504_and_the_generation_is_cancelled()
    {
        await using var gateway = await Mesh.StartGatewayAsync(s => s.Set("Gateway:Limits:RequestTimeout", TimeSpan.FromSeconds(3)));
        await WarmUpAsync(gateway);
        var cancelled0 = Mesh.Generator.CancelledCalls;
        Mesh.Generator.Gate.Close();
        try
        {
            using var response = await ChatApi.PostAsync(gateway.Http, NewRequest());
            var error = await ChatApi.ErrorAsync(response, 504);
            Assert.Equal("timeout_error", error.GetProperty("type").GetString());
            await Eventually.TrueAsync(() => Mesh.Generator.CancelledCalls > cancelled0, "the generator seeing its call cancelled");
        }
        finally
        {
            Mesh.Generator.Gate.Open();
        }
    }

    [Fact]
    public async Task Grpc_client_deadline_is_propagated_to_the_generator()
    {
        await WarmUpAsync(Mesh.Gateway);
        var cancelled0 = Mesh.Generator.CancelledCalls;
        Mesh.Generator.Gate.Close();
        try
        {
            using var call = Mesh.Gateway.Vqa.Ask(NewAsk(), deadline: DateTime.UtcNow.AddSeconds(3));
            var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
            await Eventually.TrueAsync(() => Mesh.Generator.CancelledCalls > cancelled0, "the generator seeing its call cancelled");
        }
        finally
        {
            Mesh.Generator.Gate.Open();
        }
    }

    [Fact]
    public async Task A_client_that_disconnects_cancels_the_generation()
    {
        var cancelled0 = Mesh.Generator.CancelledCalls;
        var generate0 = Mesh.Generator.GenerateCalls;
        Mesh.Generator.Gate.Close();
        try
        {
            using var client = new HttpClient { BaseAddress = Mesh.Gateway.Http.BaseAddress };
            using var abandon = new CancellationTokenSource();
            var request = ChatApi.PostAsyncCancellable(client, NewRequest(stream: true), abandon.Token);
            await Eventually.TrueAsync(() => Mesh.Generator.GenerateCalls > generate0, "the request reaching the generator");
            abandon.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);
            await Eventually.TrueAsync(() => Mesh.Generator.CancelledCalls > cancelled0, "the generator seeing its call cancelled");
        }
        finally
        {
            Mesh.Generator.Gate.Open();
        }
    }

    [Fact]
    public async Task A_gateway_whose_redis_is_down_at_start_up_starts_and_answers()
    {
        var deadPort = Mustafar.Testing.FreePorts.Next();
        await using var gateway = await Mesh.StartGatewayAsync(s => s.Set("Gateway:Cache:Redis", $"127.0.0.1:{deadPort}"));
        var completion = await ChatApi.AskAsync(gateway.Http, NewRequest());
        Assert.Equal("error", ChatApi.Cache(completion, "clip"));
        Assert.True(gateway.Metrics.CacheErrors.WithLabels("unavailable").Value > 0);
    }

    [Fact]
    public async Task A_pool_without_any_destination_is_503()
    {
        await using var gateway = await Mesh.StartGatewayAsync(s => s.Set("ReverseProxy:Clusters:clip:Destinations:clip-0:Address", "http://127.0.0.1:" + Mustafar.Testing.FreePorts.Next())
            .Set("ReverseProxy:Clusters:clip:Destinations:clip-0:Health", "http://127.0.0.1:" + Mustafar.Testing.FreePorts.Next()));
        using var response = await ChatApi.PostAsync(gateway.Http, NewRequest());
        var error = await ChatApi.ErrorAsync(response, 503);
        Assert.Equal("service_unavailable_error", error.GetProperty("type").GetString());
    }
}
