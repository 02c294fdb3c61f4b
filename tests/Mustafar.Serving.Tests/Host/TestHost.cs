using System.Net;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mustafar.Serving.Tests.V1;
using Mustafar.Testing;

namespace Mustafar.Serving.Tests.Host;

/// <summary>
/// A real test host on loopback, built with <see cref="ServingHost.Build{TService,TModel}"/> exactly as a model
/// host's Program.cs would, on free ports, over a tiny checkpoint written for it. Clients talk real gRPC (h2c) and
/// HTTP/1.1 to it.
/// </summary>
public sealed class TestHost : IAsyncDisposable
{
    /// <summary>Bound on every wait in these tests, so that a broken runtime fails a test instead of hanging it.</summary>
    public static readonly TimeSpan Patience = Eventually.Patience;

    public const long CheckpointSeed = 1234;

    private TestHost(WebApplication app, TestProbe probe, string folder)
    {
        App = app;
        Probe = probe;
        CheckpointFolder = folder;
        var endpoints = app.Services.GetRequiredService<ServingEndpoints>();
        GrpcAddress = endpoints.GrpcAddress;
        HttpAddress = endpoints.HttpAddress;
        Channel = GrpcChannel.ForAddress(GrpcAddress, new GrpcChannelOptions { MaxReceiveMessageSize = 64 * 1024 * 1024 });
        Client = new TestModel.TestModelClient(Channel);
        Health = new Grpc.Health.V1.Health.HealthClient(Channel);
        Http = new HttpClient { BaseAddress = HttpAddress, Timeout = Patience };
    }

    public WebApplication App { get; }
    public TestProbe Probe { get; }
    public string CheckpointFolder { get; }
    public Uri GrpcAddress { get; }
    public Uri HttpAddress { get; }
    public GrpcChannel Channel { get; }
    public TestModel.TestModelClient Client { get; }
    public Grpc.Health.V1.Health.HealthClient Health { get; }
    public HttpClient Http { get; }

    public TestModelService Service => App.Services.GetRequiredService<TestModelService>();

    /// <summary>Starts a host; the model loads in the background (see <see cref="WaitUntilServingAsync"/>).</summary>
    /// <param name="settings">Extra configuration, "Section:Key" -> value under Mustafar (for example
    /// "Batching:MaxBatchSize" -> "4").</param>
    public static Task<TestHost> StartAsync(IReadOnlyDictionary<string, string>? settings = null, TestProbe? probe = null) =>
        StartAsync(NewCheckpointFolder(), settings, probe);

    /// <summary>Starts a host over the checkpoint in <paramref name="folder"/> (which the host deletes).</summary>
    /// <param name="configure">Extra registrations, after the test's own (see <see cref="Configure"/>).</param>
    public static async Task<TestHost> StartAsync(string folder, IReadOnlyDictionary<string, string>? settings = null, TestProbe? probe = null,
        Action<WebApplicationBuilder>? configure = null)
    {
        probe ??= new TestProbe();
        var app = Build(folder, settings, probe, configure);
        await app.StartAsync().WaitAsync(Patience);
        return new TestHost(app, probe, folder);
    }

    /// <summary>A temp folder holding the tiny checkpoint.</summary>
    public static string NewCheckpointFolder()
    {
        var folder = RepoPaths.NewTempFolder("serving");
        TinyMlp.WriteCheckpoint(folder, CheckpointSeed);
        return folder;
    }

    /// <summary>Builds (does not start) a test host over the checkpoint in <paramref name="folder"/>.</summary>
    public static WebApplication Build(string folder, IReadOnlyDictionary<string, string>? settings, TestProbe probe,
        Action<WebApplicationBuilder>? configure = null) =>
        ServingHost.Build<TestModelService, TinyMlp>(Arguments(folder, settings), Loader(probe), Configure(probe, configure));

    /// <summary>What the tests configure on every host: the probe and a log capture.</summary>
    public static Action<WebApplicationBuilder> Configure(TestProbe probe, Action<WebApplicationBuilder>? configure = null) => builder =>
    {
        builder.Services.AddSingleton(probe);
        builder.Logging.AddProvider(probe.Logs);
        configure?.Invoke(builder);
    };

    /// <summary>Command-line arguments for a loopback host on free ports over the checkpoint in <paramref name="folder"/>.</summary>
    public static string[] Arguments(string folder, IReadOnlyDictionary<string, string>? settings)
    {
        var values = new Dictionary<string, string>
        {
            ["Model:Path"] = folder,
            ["Model:Id"] = "tiny-mlp",
            ["Server:BindAddress"] = "127.0.0.1",
            ["Server:GrpcPort"] = "0",
            ["Server:HttpPort"] = "0",
            ["Server:DrainTimeoutSeconds"] = "30",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) values[key] = value;
        return values.Select(kv => $"--{ServingOptionKeys.Root}:{kv.Key}={kv.Value}")
            .Append("--Logging:LogLevel:Default=Information")
            .Append("--Logging:LogLevel:Microsoft=Warning")
            .Append("--Logging:Console:LogLevel:Default=Warning")
            .ToArray();
    }

    /// <summary>Starts a host and waits until it reports SERVING.</summary>
    public static async Task<TestHost> StartServingAsync(IReadOnlyDictionary<string, string>? settings = null)
    {
        var host = await StartAsync(settings);
        await host.WaitUntilServingAsync();
        return host;
    }

    public static ModelLoader<TinyMlp> Loader(TestProbe probe) => new(
        context =>
        {
            TestProbe.Wait(probe.LoadGate, "model load");
            probe.ModelThreads[Environment.CurrentManagedThreadId] = true;
            return TinyMlp.Load(context.ModelPath, context.Device, context.DType);
        },
        model => [model],
        (model, _) => model.forward(TorchSharp.torch.zeros(1, TinyMlp.Width)));

    public Task<HealthCheckResponse.Types.ServingStatus> HealthAsync(string service = "") => Health.StatusAsync(service);

    public Task WaitUntilServingAsync() => Health.WaitUntilServingAsync();

    /// <summary>Reads /metrics over HTTP/1.1.</summary>
    public Task<string> MetricsAsync() => Http.GetStringAsync(new Uri("/metrics", UriKind.Relative));

    public Task<HttpStatusCode> GetStatusAsync(string path) => Http.StatusAsync(path);

    public Task<TransformResponse> TransformAsync(float[] values, int group = 0, bool hold = false, bool failBatch = false,
        DateTime? deadline = null, CancellationToken cancellationToken = default)
    {
        var request = new TransformRequest { Group = group, Hold = hold, FailBatch = failBatch };
        request.Values.Add(values);
        return Client.TransformAsync(request, deadline: deadline ?? DateTime.UtcNow + Patience, cancellationToken: cancellationToken).ResponseAsync;
    }

    /// <summary>Sends a request that blocks the inference thread until <see cref="TestProbe.HoldGate"/> is set,
    /// and returns once its batch runs.</summary>
    public async Task<Task<TransformResponse>> HoldThreadAsync(int group = 99)
    {
        var held = TransformAsync([-1, -1, -1, -1], group, hold: true);
        await Probe.HeldBatchStarted.Task.WaitAsync(Patience);
        return held;
    }

    public async ValueTask DisposeAsync()
    {
        Probe.HoldGate.Set();
        Probe.LoadGate.Set();
        Probe.GateSteps = false;
        Probe.ReleaseSteps(10_000);
        Http.Dispose();
        Channel.Dispose();
        try
        {
            await App.StopAsync().WaitAsync(Patience);
        }
        finally
        {
            await App.DisposeAsync();
            try
            {
                Directory.Delete(CheckpointFolder, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp folder is harmless.
            }
        }
    }
}
