using Mustafar.Contracts.Generation.V1;
using Mustafar.Testing;
using Mustafar.Contracts.Tensors.V1;

namespace Mustafar.Gateway.TestServers;

/// <summary>What a test mesh runs.</summary>
public sealed record TestMeshOptions
{
    public int ClipReplicas { get; init; } = 1;
    public FusionMode FusionMode { get; init; } = FusionMode.ConcatTokens;
    public DType GeneratorDType { get; init; } = DType.Float32;
    public bool WithRedis { get; init; } = true;
}

/// <summary>
/// A whole mesh for tests and benchmarks: a private Redis, the test encoders and generator, and a gateway over
/// them. More gateways with other settings can run against the same services (<see cref="StartGatewayAsync"/>).
/// </summary>
public sealed class TestMesh : IAsyncDisposable
{
    private readonly List<GatewayHost> _gateways = [];

    private TestMesh(RedisServer? redis, IReadOnlyList<(TestServiceHost, TestClipEncoder)> clips,
        (TestServiceHost, TestDiffusionEncoder) diffusion, (TestServiceHost, TestGenerator) generator)
    {
        Redis = redis;
        ClipHosts = clips.Select(c => c.Item1).ToList();
        Clips = clips.Select(c => c.Item2).ToList();
        (DiffusionHost, Diffusion) = diffusion;
        (GeneratorHost, Generator) = generator;
    }

    public RedisServer? Redis { get; }
    public IReadOnlyList<TestServiceHost> ClipHosts { get; }
    public IReadOnlyList<TestClipEncoder> Clips { get; }
    public TestClipEncoder Clip => Clips[0];
    public TestServiceHost DiffusionHost { get; }
    public TestDiffusionEncoder Diffusion { get; }
    public TestServiceHost GeneratorHost { get; }
    public TestGenerator Generator { get; }

    /// <summary>The gateway started with the mesh (default settings).</summary>
    public GatewayHost Gateway => _gateways[0];

    public int ClipEncodeCalls => Clips.Sum(c => c.EncodeCalls);

    public static async Task<TestMesh> StartAsync(TestMeshOptions? options = null)
    {
        options ??= new TestMeshOptions();
        var redis = options.WithRedis ? await RedisServer.StartNewAsync().ConfigureAwait(false) : null;
        var clips = new List<(TestServiceHost, TestClipEncoder)>();
        for (var i = 0; i < options.ClipReplicas; i++)
        {
            var clip = new TestClipEncoder();
            clips.Add((await TestServiceHost.StartAsync(clip).ConfigureAwait(false), clip));
        }
        var diffusion = new TestDiffusionEncoder();
        var generator = new TestGenerator { FusionMode = options.FusionMode, ComputeDType = options.GeneratorDType };
        var mesh = new TestMesh(redis, clips,
            (await TestServiceHost.StartAsync(diffusion).ConfigureAwait(false), diffusion),
            (await TestServiceHost.StartAsync(generator).ConfigureAwait(false), generator));
        await mesh.StartGatewayAsync().ConfigureAwait(false);
        return mesh;
    }

    /// <summary>The settings of a gateway over this mesh's services and Redis.</summary>
    public GatewaySettings Settings()
    {
        var settings = new GatewaySettings()
            .Pool("clip", "mustafar.clip.v1.ClipEncoder", ClipHosts)
            .Pool("diffusion", "mustafar.diffusion.v1.DiffusionEncoder", [DiffusionHost])
            .Pool("generator", "mustafar.generation.v1.Generator", [GeneratorHost])
            .Set("Gateway:Cache:Enabled", Redis is not null)
            // Generous for loaded CI machines; outages are detected by the connection state, not by this timeout.
            .Set("Gateway:Cache:OperationTimeout", TimeSpan.FromSeconds(2))
            .Set("Gateway:Cache:ConnectTimeout", TimeSpan.FromSeconds(2));
        if (Redis is not null) settings.Set("Gateway:Cache:Redis", Redis.Configuration);
        return settings;
    }

    public async Task<GatewayHost> StartGatewayAsync(Action<GatewaySettings>? adjust = null)
    {
        var settings = Settings();
        adjust?.Invoke(settings);
        var gateway = await GatewayHost.StartAsync(settings).ConfigureAwait(false);
        _gateways.Add(gateway);
        // The gateway connects to Redis in the background (it never waits for it); tests that count cache misses
        // and hits start once it is connected, unless the test pointed the cache elsewhere.
        if (Redis is not null && settings.Values.GetValueOrDefault("Gateway:Cache:Redis") == Redis.Configuration
            && settings.Values.GetValueOrDefault("Gateway:Cache:Enabled") == "True")
        {
            var connection = (Mustafar.Gateway.Caching.RedisConnection)gateway.Services.GetService(typeof(Mustafar.Gateway.Caching.RedisConnection))!;
            await Eventually.TrueAsync(() => connection.Database is not null, "the gateway connecting to Redis").ConfigureAwait(false);
        }
        return gateway;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var gateway in _gateways) await gateway.DisposeAsync().ConfigureAwait(false);
        foreach (var host in ClipHosts) await host.DisposeAsync().ConfigureAwait(false);
        await DiffusionHost.DisposeAsync().ConfigureAwait(false);
        await GeneratorHost.DisposeAsync().ConfigureAwait(false);
        if (Redis is not null) await Redis.DisposeAsync().ConfigureAwait(false);
    }
}
