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

        var error = await Assert.ThrowsAsync<RpcException>(() => new Mustafar.Clip.V1.ClipEncoder.ClipEncoderClient(gateway.Grpc)
            .EncodeAsync(new Mustafar.Clip.V1.EncodeRequest { Image = Google.Protobuf.ByteString.CopyFrom(TestImages.Unique()) }).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.StartsWith("the clip pool's destination clip-0 failed (Request", error.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("retry", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reachable_destination_on_a_proxied_route_still_answers()
    {
        var info = await new Mustafar.Clip.V1.ClipEncoder.ClipEncoderClient(_mesh.Gateway.Grpc).GetModelInfoAsync(new Mustafar.Clip.V1.GetModelInfoRequest());
        Assert.False(string.IsNullOrEmpty(info.ModelId));
    }
}
