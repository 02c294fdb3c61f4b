using Grpc.Core;
using Mustafar.Gateway.TestServers;

namespace Mustafar.Gateway.Tests;

/// <summary>A gRPC call on a proxied route whose destination cannot be reached gets a gRPC status that names the
/// pool and says a retry may succeed, instead of YARP's bare HTTP 502 ("Bad gRPC response").</summary>
public sealed class ProxyFailureTests : IAsyncLifetime
{
    private TestMesh _mesh = null!;

    public async Task InitializeAsync() => _mesh = await TestMesh.StartAsync(new TestMeshOptions { WithRedis = false });

    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    [Fact]
    public async Task An_unreachable_destination_on_a_proxied_route_is_unavailable_with_the_pool_and_destination_named()
    {
        await using var gateway = await _mesh.StartGatewayAsync(s => s
            .Set("ReverseProxy:Clusters:clip:HealthCheck:Active:Enabled", "false")
            .Set("ReverseProxy:Clusters:clip:Destinations:clip-0:Address", "http://127.0.0.1:" + Mustafar.Testing.FreePorts.Next())
            .Set("ReverseProxy:Clusters:clip:Destinations:clip-0:Health", "http://127.0.0.1:" + Mustafar.Testing.FreePorts.Next()));

        var error = await Assert.ThrowsAsync<RpcException>(() => new Mustafar.Contracts.Clip.V1.ClipEncoder.ClipEncoderClient(gateway.Grpc)
            .EncodeAsync(new Mustafar.Contracts.Clip.V1.EncodeRequest { Image = Google.Protobuf.ByteString.CopyFrom(TestImages.Unique()) }).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.StartsWith("the clip pool's destination clip-0 failed (Request", error.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("retry", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reachable_destination_on_a_proxied_route_still_answers()
    {
        var info = await new Mustafar.Contracts.Clip.V1.ClipEncoder.ClipEncoderClient(_mesh.Gateway.Grpc).GetModelInfoAsync(new Mustafar.Contracts.Clip.V1.GetModelInfoRequest());
        Assert.False(string.IsNullOrEmpty(info.ModelId));
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("text/plain")]
    [InlineData("application/grpc-web")]
    [InlineData(null)]
    public async Task A_wrong_content_type_on_a_proxied_route_is_always_415_and_never_reaches_or_marks_the_destination(string? contentType)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_mesh.Gateway.GrpcPort}") };
        var calls0 = _mesh.ClipEncodeCalls;
        var outcomes = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            // A body the destination would still be receiving when it refused the call.
            using var content = new ByteArrayContent(new byte[256 * 1024]);
            if (contentType is not null) content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
            using var request = new HttpRequestMessage(HttpMethod.Post, "/mustafar.clip.v1.ClipEncoder/Encode")
            {
                Version = System.Net.HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                Content = content,
            };
            try
            {
                using var response = await http.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                var grpcStatus = response.Headers.TryGetValues("grpc-status", out var status) ? "grpc-status " + status.First() : "";
                outcomes.Add($"{(int)response.StatusCode} {grpcStatus} {body}");
            }
            catch (HttpRequestException error)
            {
                outcomes.Add($"{error.GetType().Name}: {error.Message}");
            }
        }

        Assert.All(outcomes, o => Assert.StartsWith("415 ", o, StringComparison.Ordinal));
        Assert.All(outcomes, o => Assert.Contains("\"code\":\"invalid_content_type\"", o, StringComparison.Ordinal));
        Assert.Equal(calls0, _mesh.ClipEncodeCalls);
        var proxy = (Yarp.ReverseProxy.IProxyStateLookup)_mesh.Gateway.Services.GetService(typeof(Yarp.ReverseProxy.IProxyStateLookup))!;
        Assert.True(proxy.TryGetCluster("clip", out var clip));
        Assert.All(clip.DestinationsState.AllDestinations, d => Assert.NotEqual(Yarp.ReverseProxy.Model.DestinationHealth.Unhealthy, d.Health.Passive));
        await A_reachable_destination_on_a_proxied_route_still_answers();
    }
}
