using Mustafar.Gateway.TestServers;

namespace Mustafar.Gateway.Tests;

/// <summary>CLIP and diffusion run in parallel; when one rejects the request, the other is cancelled, and the
/// answer is the rejection, never the cancellation it caused (which would read as the deadline passing).</summary>
public sealed class SiblingFailureTests : IAsyncLifetime
{
    private TestMesh _mesh = null!;

    public async Task InitializeAsync() => _mesh = await TestMesh.StartAsync(new TestMeshOptions { WithRedis = false });

    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    [Fact]
    public async Task An_image_the_diffusion_encoder_rejects_while_clip_is_still_encoding_is_400_not_504()
    {
        _mesh.Clip.Gate.Close(); // CLIP is still working on the image when diffusion refuses it
        _mesh.Diffusion.RejectImages = true;
        var generate0 = _mesh.Generator.GenerateCalls;

        using var response = await ChatApi.PostAsync(_mesh.Gateway.Http,
            ChatApi.Request(TestImages.DataUrl(TestImages.Unique()), "Q?", new System.Text.Json.Nodes.JsonObject { ["bypass_cache"] = true }));

        var error = await ChatApi.ErrorAsync(response, 400);
        Assert.Equal("messages[0].content[0].image_url", error.GetProperty("param").GetString());
        Assert.Equal(generate0, _mesh.Generator.GenerateCalls);
    }
}
