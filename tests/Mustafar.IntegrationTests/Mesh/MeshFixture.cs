namespace Mustafar.IntegrationTests.Mesh;

/// <summary>One standard mesh shared by the tests of a class (starting one costs model loads and warm-ups).</summary>
public sealed class MeshFixture : IAsyncLifetime
{
    private LocalMesh? _mesh;

    public LocalMesh Mesh => _mesh ?? throw new InvalidOperationException("the mesh has not started");

    public async Task InitializeAsync() => _mesh = await LocalMesh.StartAsync();

    public async Task DisposeAsync()
    {
        if (_mesh is not null) await _mesh.DisposeAsync();
    }
}
