using Mustafar.Gateway.TestServers;

namespace Mustafar.Gateway.Tests;

/// <summary>One test mesh (Redis, one CLIP, diffusion and generator test server, a gateway) shared by the tests of
/// a class. Tests use fresh images, so they never see each other's cache entries, and compare counters before and
/// after.</summary>
public sealed class MeshFixture : IAsyncLifetime
{
    public TestMesh Mesh { get; private set; } = null!;

    public async Task InitializeAsync() => Mesh = await TestMesh.StartAsync();

    public async Task DisposeAsync() => await Mesh.DisposeAsync();
}
