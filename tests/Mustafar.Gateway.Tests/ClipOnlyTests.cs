using Mustafar.Gateway.TestServers;
using Mustafar.Contracts.Generation.V1;

namespace Mustafar.Gateway.Tests;

/// <summary>A CLIP-only generator (plain LLaVA-1.5): the diffusion pool is never asked.</summary>
public sealed class ClipOnlyTests : IAsyncLifetime
{
    private TestMesh _mesh = null!;

    public async Task InitializeAsync() => _mesh = await TestMesh.StartAsync(new TestMeshOptions { FusionMode = FusionMode.ClipOnly, WithRedis = false });

    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    [Fact]
    public async Task No_diffusion_features_are_fetched_for_a_clip_only_model()
    {
        var completion = await ChatApi.AskAsync(_mesh.Gateway.Http, ChatApi.Request(TestImages.DataUrl(TestImages.Unique()), "What is it?"));

        Assert.Equal(0, _mesh.Diffusion.ConditionalCalls + _mesh.Diffusion.UnconditionalCalls + _mesh.Diffusion.GuidedCalls);
        Assert.Equal("bypass", ChatApi.Cache(completion, "clip")); // cache disabled in this mesh
        Assert.Equal("not_used", ChatApi.Cache(completion, "diffusion_conditional"));
        Assert.Equal("not_used", ChatApi.Cache(completion, "diffusion_unconditional"));
        Assert.Equal(System.Text.Json.JsonValueKind.Null, completion.GetProperty("mustafar").GetProperty("diffusion").ValueKind);
    }
}
