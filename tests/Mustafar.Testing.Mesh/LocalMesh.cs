using Grpc.Net.Client;
using Mustafar.CheckpointWriters;
using Mustafar.Models.Fusion;
using Mustafar.Testing;

namespace Mustafar.Testing.Mesh;

/// <summary>
/// A whole mesh of real processes on loopback, as `deploy/scripts/mesh.sh up` starts it: Redis, N CLIP encoders,
/// the diffusion encoder, the generator and the gateway, configured through their real environment variables and
/// serving the tiny demo checkpoints. Parts can be killed, stopped and restarted to inject faults.
/// </summary>
public sealed class LocalMesh : IAsyncDisposable
{
    private static readonly SemaphoreSlim DemoModelsGate = new(1, 1);
    private readonly List<GrpcChannel> _channels = [];

    /// <summary>The checkpoint folders the services serve.</summary>
    public required DemoCheckpoints.Paths Models { get; init; }
    public required RedisServer Redis { get; init; }
    public required IReadOnlyList<ServiceProcess> ClipEncoders { get; init; }
    public required ServiceProcess DiffusionEncoder { get; init; }
    public required ServiceProcess Generator { get; init; }
    public required ServiceProcess Gateway { get; init; }
    /// <summary>Every gateway replica (<see cref="Gateway"/> first).</summary>
    public required IReadOnlyList<ServiceProcess> Gateways { get; init; }
    public required IReadOnlyList<Uri> ClipGrpc { get; init; }
    public required Uri DiffusionGrpc { get; init; }
    public required Uri GeneratorGrpc { get; init; }
    public required Uri GatewayHttp { get; init; }
    public required Uri GatewayGrpc { get; init; }

    public IEnumerable<ServiceProcess> Processes => ClipEncoders.Append(DiffusionEncoder).Append(Generator).Concat(Gateways);

    /// <summary>Writes (once per test run and fusion mode) the demo checkpoints all meshes share.</summary>
    public static async Task<DemoCheckpoints.Paths> DemoModelsAsync(FusionKind fusion)
    {
        await DemoModelsGate.WaitAsync();
        try
        {
            var folder = Path.Combine(Path.GetTempPath(), "mustafar-tests", $"demo-models-v{DemoCheckpoints.FormatVersion}-{fusion.ConfigName()}");
            return DemoCheckpoints.Ensure(folder, seed: 1234, fusion).Paths;
        }
        finally
        {
            DemoModelsGate.Release();
        }
    }

    public static async Task<LocalMesh> StartAsync(LocalMeshOptions? options = null)
    {
        options ??= new LocalMeshOptions();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnceAsync(options);
            }
            catch (ServiceExitedException exited) when (exited.LostItsPort && attempt < 3)
            {
                // A picked port was taken before the service bound it: start again on fresh ports.
            }
        }
    }

    private static async Task<LocalMesh> StartOnceAsync(LocalMeshOptions options)
    {
        var models = options.Models ?? await DemoModelsAsync(options.Fusion);
        var redis = await RedisServer.StartNewAsync();
        // Names, option keys and wiring from deploy/topology.json, as mesh.sh and the deployment files use them.
        var topology = MeshTopology.Current;
        var (clipService, diffusionService, generatorService) =
            (topology.ModelService("clip-encoder"), topology.ModelService("diffusion-encoder"), topology.ModelService("generator"));
        var prefix = topology.EnvironmentPrefix;
        var serviceKeys = topology.ServiceEnvironment;

        ServiceProcess Service(string name, string assembly, string model, out Uri grpc, IReadOnlyDictionary<string, string>? own = null)
        {
            var (grpcPort, httpPort) = (FreePorts.Next(), FreePorts.Next());
            grpc = new Uri($"http://127.0.0.1:{grpcPort}");
            var environment = new Dictionary<string, string>
            {
                [prefix + serviceKeys.ModelPath] = model,
                [prefix + serviceKeys.ModelId] = name,
                ["MUSTAFAR__Model__IntraOpThreads"] = "1",
                ["MUSTAFAR__Server__BindAddress"] = "127.0.0.1",
                [prefix + serviceKeys.GrpcPort] = grpcPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                [prefix + serviceKeys.HttpPort] = httpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            foreach (var (key, value) in options.ServiceEnvironment) environment[key] = value;
            foreach (var (key, value) in own ?? new Dictionary<string, string>()) environment[key] = value;
            return new ServiceProcess(name, assembly, new Uri($"http://127.0.0.1:{httpPort}"), environment);
        }

        var clipGrpc = new List<Uri>();
        var clips = Enumerable.Range(0, options.ClipReplicas).Select(i =>
        {
            var process = Service($"{clipService.ModelId}-{i}", HostBinaries.ClipEncoder, models.Clip, out var grpc, options.ClipEnvironment);
            clipGrpc.Add(grpc);
            return process;
        }).ToList();
        var diffusion = Service(diffusionService.ModelId, HostBinaries.DiffusionEncoder, models.Diffusion, out var diffusionGrpc, options.DiffusionEnvironment);
        var generator = Service(generatorService.ModelId, HostBinaries.Generator, models.Generator, out var generatorGrpc);

        var gatewayEnvironment = new Dictionary<string, string>
        {
            [topology.GatewayEnvironment.Redis] = redis.Configuration,
            // Generous, as in the in-process TestMesh: on a loaded 2-core machine a Redis round trip can take longer
            // than production's 100 ms, and a test that counts cache errors would see timeouts instead of hits.
            // Outages are detected by the connection state, not by this timeout.
            ["Gateway__Cache__OperationTimeout"] = "00:00:02",
        };
        void Destinations(string cluster, IReadOnlyList<(Uri Grpc, Uri Http)> destinations)
        {
            for (var i = 0; i < destinations.Count; i++)
            {
                gatewayEnvironment[topology.GatewayEnvironment.Address(cluster, i)] = destinations[i].Grpc.ToString();
                gatewayEnvironment[topology.GatewayEnvironment.Health(cluster, i)] = destinations[i].Http.ToString();
            }
            // Faster active probing than production's 5 s, so fault tests see a dead replica leave the pool quickly.
            gatewayEnvironment[$"ReverseProxy__Clusters__{cluster}__HealthCheck__Active__Interval"] = "00:00:01";
        }
        Destinations(clipService.Cluster, clips.Select((c, i) => (clipGrpc[i], c.HttpAddress)).ToList());
        Destinations(diffusionService.Cluster, [(diffusionGrpc, diffusion.HttpAddress)]);
        Destinations(generatorService.Cluster, [(generatorGrpc, generator.HttpAddress)]);
        foreach (var (key, value) in options.GatewayEnvironment) gatewayEnvironment[key] = value;
        var gatewayGrpcPorts = new List<int>();
        var gateways = Enumerable.Range(0, options.GatewayReplicas).Select(i =>
        {
            var (httpPort, grpcPort) = (FreePorts.Next(), FreePorts.Next());
            gatewayGrpcPorts.Add(grpcPort);
            var environment = new Dictionary<string, string>(gatewayEnvironment)
            {
                ["Kestrel__Endpoints__Http__Url"] = $"http://127.0.0.1:{httpPort}",
                ["Kestrel__Endpoints__Grpc__Url"] = $"http://127.0.0.1:{grpcPort}",
            };
            return new ServiceProcess(i == 0 ? "gateway" : $"gateway-{i}", HostBinaries.Gateway, new Uri($"http://127.0.0.1:{httpPort}"), environment);
        }).ToList();
        var gateway = gateways[0];

        var mesh = new LocalMesh
        {
            Models = models,
            Redis = redis,
            ClipEncoders = clips,
            DiffusionEncoder = diffusion,
            Generator = generator,
            Gateway = gateway,
            Gateways = gateways,
            ClipGrpc = clipGrpc,
            DiffusionGrpc = diffusionGrpc,
            GeneratorGrpc = generatorGrpc,
            GatewayHttp = gateway.HttpAddress,
            GatewayGrpc = new Uri($"http://127.0.0.1:{gatewayGrpcPorts[0]}"),
        };
        try
        {
            foreach (var process in mesh.Processes) process.Start();
            await Task.WhenAll(mesh.Processes.Select(p => p.WaitReadyAsync(options.ReadyTimeout)));
            // The gateway can say ready before its first probes (not yet probed counts as healthy), then see the
            // services still loading; the mesh is ready once the gateway has found every one of them ready.
            await Task.WhenAll(gateways.Select(g => GatewayReadiness.WaitForAllAvailableAsync(g.HttpAddress, options.ReadyTimeout)));
        }
        catch
        {
            await mesh.DisposeAsync();
            throw;
        }
        return mesh;
    }

    /// <summary>A gRPC channel to an address, disposed with the mesh; message limits fit real feature tensors.</summary>
    public GrpcChannel Channel(Uri address)
    {
        var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { MaxReceiveMessageSize = 64 << 20, MaxSendMessageSize = 64 << 20 });
        _channels.Add(channel);
        return channel;
    }

    /// <summary>The recent output of every process, for assertion messages.</summary>
    public string Logs => string.Join('\n', Processes.Select(p => p.RecentOutput));

    public async ValueTask DisposeAsync()
    {
        foreach (var channel in _channels) channel.Dispose();
        await Task.WhenAll(Processes.Select(p => p.DisposeAsync().AsTask()));
        await Redis.DisposeAsync();
    }
}
