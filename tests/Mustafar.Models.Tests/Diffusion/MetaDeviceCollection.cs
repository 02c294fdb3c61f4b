namespace Mustafar.Models.Tests.Diffusion;

/// <summary>Tests that build modules on the meta device switch libtorch's process-wide default device for a moment;
/// they run alone so that no other test creates tensors meanwhile.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetaDeviceCollection
{
    public const string Name = "meta device";
}
