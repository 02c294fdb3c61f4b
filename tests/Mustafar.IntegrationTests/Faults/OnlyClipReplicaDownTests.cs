using System.Net;
using System.Text.Json.Nodes;
using Grpc.Health.V1;
using Mustafar.IntegrationTests.Mesh;
using Mustafar.Testing;

namespace Mustafar.IntegrationTests.Faults;

/// <summary>The only CLIP encoder process dies (SIGKILL): the gateway's /readyz and gRPC health say not ready, and a
/// question fails at once with 503 naming the clip pool, with a Retry-After, rather than with the gRPC client's
/// "Error connecting to subchannel."; once the encoder is back, questions succeed again.</summary>
public sealed class OnlyClipReplicaDownTests
{
    [Fact]
    public async Task With_the_only_clip_encoder_down_the_gateway_is_not_ready_and_questions_get_503_naming_the_pool()
    {
        await using var mesh = await LocalMesh.StartAsync();
        using var client = new GatewayClient(mesh.GatewayHttp);
        var health = new Health.HealthClient(mesh.Channel(mesh.GatewayGrpc));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await health.StatusAsync());

        await mesh.ClipEncoders[0].KillAsync();
        await GatewayReadiness.WaitForAvailableAsync(mesh.GatewayHttp, "clip", expected: 0, TimeSpan.FromSeconds(30));

        using var http = new HttpClient { BaseAddress = mesh.GatewayHttp };
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await http.StatusAsync("/readyz"));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, await health.StatusAsync());
        using var refused = await client.PostAsync(GatewayClient.ChatBody(SampleImages.Variant(7001), "What is it?", stream: false, maxTokens: 2));
        var error = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.StartsWith("the clip pool has no healthy destination (clip-0: ", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.NotNull(refused.Headers.RetryAfter?.Delta);

        mesh.ClipEncoders[0].Start();
        await mesh.ClipEncoders[0].WaitReadyAsync(TimeSpan.FromMinutes(3));
        await GatewayReadiness.WaitForAvailableAsync(mesh.GatewayHttp, "clip", expected: 1, TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.OK, await http.StatusAsync("/readyz"));
        await client.ChatAsync(GatewayClient.ChatBody(SampleImages.Variant(7002), "What is it?", stream: false, maxTokens: 2)); // 200, or it throws
    }
}
