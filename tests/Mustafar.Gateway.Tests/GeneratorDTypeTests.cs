using System.Text.Json.Nodes;
using Mustafar.Gateway.TestServers;
using Mustafar.Contracts.Tensors.V1;

namespace Mustafar.Gateway.Tests;

/// <summary>A generator computing in float16: features are asked for, combined and sent in float16 (the test
/// generator refuses any other dtype with INVALID_ARGUMENT).</summary>
public sealed class GeneratorDTypeTests : IAsyncLifetime
{
    private TestMesh _mesh = null!;

    public async Task InitializeAsync() => _mesh = await TestMesh.StartAsync(new TestMeshOptions { GeneratorDType = DType.Float16 });

    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    [Fact]
    public async Task Guided_features_reach_a_float16_generator_in_float16()
    {
        var image = TestImages.DataUrl(TestImages.Unique());
        var first = await ChatApi.AskAsync(_mesh.Gateway.Http, ChatApi.Request(image, "What is it?", new JsonObject { ["guidance_scale"] = 0.5 }));
        var cached = await ChatApi.AskAsync(_mesh.Gateway.Http, ChatApi.Request(image, "What is it?", new JsonObject { ["guidance_scale"] = 0.5 }));

        Assert.Equal("miss", ChatApi.Cache(first, "diffusion_conditional"));
        Assert.Equal("hit", ChatApi.Cache(cached, "diffusion_conditional"));
        Assert.Equal(ChatApi.Answer(first), ChatApi.Answer(cached)); // same bytes from Redis as from the encoders
    }
}
