using Mustafar.Gateway.TestServers;

namespace Mustafar.Gateway.Tests;

/// <summary>CLIP and diffusion run in parallel; when one rejects the request, the other is cancelled, and the
/// answer is the rejection, never the cancellation it caused (which would read as the deadline passing). The class
/// has its own mesh: it holds CLIP calls and makes the diffusion encoder refuse every image.</summary>
public sealed class SiblingFailureTests(MeshFixture fixture) : IClassFixture<MeshFixture>
{
    private TestMesh Mesh => fixture.Mesh;

    [Fact]
    public async Task An_image_the_diffusion_encoder_rejects_while_clip_is_still_encoding_is_400_not_504()
    {
        Mesh.Clip.Gate.Close(); // CLIP is still working on the image when diffusion refuses it
        Mesh.Diffusion.RejectImages = true;
        var generate0 = Mesh.Generator.GenerateCalls;

        using var response = await ChatApi.PostAsync(Mesh.Gateway.Http,
            ChatApi.Request(TestImages.DataUrl(TestImages.Unique()), "Q?", new System.Text.Json.Nodes.JsonObject { ["bypass_cache"] = true }));

        var error = await ChatApi.ErrorAsync(response, 400);
        Assert.Equal("messages[0].content[0].image_url", error.GetProperty("param").GetString());
        Assert.Equal(generate0, Mesh.Generator.GenerateCalls);
    }
}
