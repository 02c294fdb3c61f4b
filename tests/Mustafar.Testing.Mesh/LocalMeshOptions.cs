using Mustafar.Models.Fusion;

namespace Mustafar.Testing.Mesh;

/// <summary>The shape of a test mesh.</summary>
public sealed record LocalMeshOptions
{
    /// <summary>CLIP encoder processes behind the gateway's clip cluster.</summary>
    public int ClipReplicas { get; init; } = 1;

    /// <summary>Model folders to serve instead of the random-weight demo checkpoints (for example the shipped,
    /// trained demo model in deploy/demo-model); null writes and serves the random ones of <see cref="Fusion"/>.</summary>
    public Mustafar.CheckpointWriters.DemoCheckpoints.Paths? Models { get; init; }

    /// <summary>The demo generator's fusion mode (cross-attention uses both encoders).</summary>
    public FusionKind Fusion { get; init; } = FusionKind.CrossAttention;

    /// <summary>Extra environment for every model service (for example batching limits).</summary>
    public IReadOnlyDictionary<string, string> ServiceEnvironment { get; init; } = new Dictionary<string, string>();

    /// <summary>Extra environment for the CLIP encoders only, after <see cref="ServiceEnvironment"/> (for example an
    /// injected fault).</summary>
    public IReadOnlyDictionary<string, string> ClipEnvironment { get; init; } = new Dictionary<string, string>();

    /// <summary>Extra environment for the diffusion encoder only, after <see cref="ServiceEnvironment"/>.</summary>
    public IReadOnlyDictionary<string, string> DiffusionEnvironment { get; init; } = new Dictionary<string, string>();

    /// <summary>Gateway processes, all over the same pools and the same Redis (replicas).</summary>
    public int GatewayReplicas { get; init; } = 1;

    /// <summary>Extra environment for the gateway (for example cache or limit settings).</summary>
    public IReadOnlyDictionary<string, string> GatewayEnvironment { get; init; } = new Dictionary<string, string>();

    /// <summary>How long model loading and warm-up may take on a busy 2-core CI machine.</summary>
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromMinutes(3);
}
