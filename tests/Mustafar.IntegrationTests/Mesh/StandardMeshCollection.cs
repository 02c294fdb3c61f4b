namespace Mustafar.IntegrationTests.Mesh;

/// <summary>Test classes that share one standard mesh (one CLIP encoder) instead of starting their own: the load
/// tool's CI scenario and the soak, which leave the mesh as they found it.</summary>
[CollectionDefinition(Name)]
public sealed class StandardMeshCollection : ICollectionFixture<MeshFixture>
{
    public const string Name = "standard mesh";
}
