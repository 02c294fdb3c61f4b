using Grpc.Core;
using Grpc.Health.V1;
using Mustafar.Gateway.TestServers;
using Mustafar.Testing;
using V1Reflection = Grpc.Reflection.V1;
using V1AlphaReflection = Grpc.Reflection.V1Alpha;

namespace Mustafar.Gateway.Tests;

/// <summary>What grpcurl and health clients ask the gateway's gRPC port: reflection describes the proxied pools'
/// services too (not only the gateway's own), and the health service knows the gateway's service by name.</summary>
public sealed class GatewayIntrospectionTests(MeshFixture fixture) : IClassFixture<MeshFixture>
{
    private TestMesh Mesh => fixture.Mesh;

    public static TheoryData<string> Symbols { get; } =
    [
        "mustafar.clip.v1.ClipEncoder",
        "mustafar.diffusion.v1.DiffusionEncoder",
        "mustafar.generation.v1.Generator",
        "mustafar.vqa.v1.VisualQuestionAnswering",
        "mustafar.clip.v1.EncodeRequest",
    ];

    [Theory]
    [MemberData(nameof(Symbols))]
    public async Task Reflection_v1_describes_every_service_reachable_on_the_gateway(string symbol)
    {
        using var call = new V1Reflection.ServerReflection.ServerReflectionClient(Mesh.Gateway.Grpc).ServerReflectionInfo(deadline: DateTime.UtcNow.AddSeconds(30));
        await call.RequestStream.WriteAsync(new V1Reflection.ServerReflectionRequest { FileContainingSymbol = symbol });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var response = call.ResponseStream.Current;
        Assert.True(response.ErrorResponse is null, $"{symbol}: {response.ErrorResponse?.ErrorMessage}");
        Assert.NotEmpty(response.FileDescriptorResponse.FileDescriptorProto);
    }

    [Fact]
    public async Task Reflection_v1alpha_lists_the_proxied_services_with_the_gateways_own()
    {
        using var call = new V1AlphaReflection.ServerReflection.ServerReflectionClient(Mesh.Gateway.Grpc).ServerReflectionInfo(deadline: DateTime.UtcNow.AddSeconds(30));
        await call.RequestStream.WriteAsync(new V1AlphaReflection.ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Superset(new HashSet<string>
        {
            "mustafar.vqa.v1.VisualQuestionAnswering", "mustafar.clip.v1.ClipEncoder", "mustafar.diffusion.v1.DiffusionEncoder",
            "mustafar.generation.v1.Generator", "grpc.health.v1.Health",
        }, services.ToHashSet());
    }

    [Fact]
    public async Task Grpc_health_knows_the_gateways_service_name()
    {
        var health = new Health.HealthClient(Mesh.Gateway.Grpc);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await health.StatusAsync("mustafar.vqa.v1.VisualQuestionAnswering"));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await health.StatusAsync());
        var unknown = await Assert.ThrowsAsync<RpcException>(() => health.StatusAsync("no.such.Service"));
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
    }
}
