using System.Net;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mustafar.Serving;

namespace Mustafar.Services.Tests.Host;

/// <summary>
/// A model host on loopback, built exactly as its Program.cs builds it (<see cref="ServingHost.Build{TService,TModel}"/>
/// with the host's own loader), on free ports, over a checkpoint folder the test wrote. The content root is the
/// checkpoint folder, so no appsettings.json from the test's output folder leaks in: only the settings given here
/// apply on top of the runtime's defaults.
/// </summary>
public sealed class ServiceHost<TService, TModel> : IAsyncDisposable
    where TService : class
    where TModel : class
{
    public const int MessageLimit = 64 * 1024 * 1024;

    private ServiceHost(WebApplication app)
    {
        App = app;
        var endpoints = app.Services.GetRequiredService<ServingEndpoints>();
        Channel = GrpcChannel.ForAddress(endpoints.GrpcAddress, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = MessageLimit,
            MaxSendMessageSize = MessageLimit,
        });
        Health = new Grpc.Health.V1.Health.HealthClient(Channel);
        Http = new HttpClient { BaseAddress = endpoints.HttpAddress, Timeout = Eventually.Patience };
    }

    public WebApplication App { get; }
    public GrpcChannel Channel { get; }
    public Grpc.Health.V1.Health.HealthClient Health { get; }
    public HttpClient Http { get; }

    public ModelRuntime<TModel> Runtime => App.Services.GetRequiredService<ModelRuntime<TModel>>();

    /// <summary>A deadline for one call, so that a broken service fails a test instead of hanging it.</summary>
    public static DateTime Deadline => DateTime.UtcNow + Eventually.Patience;

    /// <summary>Starts the host; the model loads in the background (see <see cref="WaitUntilServingAsync"/>).</summary>
    /// <param name="settings">"Section:Key" -> value under Mustafar, for example "Batching:MaxBatchSize" -> "4".</param>
    public static async Task<ServiceHost<TService, TModel>> StartAsync(string modelFolder, ModelLoader<TModel> loader,
        IReadOnlyDictionary<string, string>? settings = null)
    {
        var values = new Dictionary<string, string>
        {
            ["Model:Path"] = modelFolder,
            ["Server:BindAddress"] = "127.0.0.1",
            ["Server:GrpcPort"] = "0",
            ["Server:HttpPort"] = "0",
            ["Server:DrainTimeoutSeconds"] = "5",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) values[key] = value;
        string[] args =
        [
            .. values.Select(kv => $"--{ServingOptionKeys.Root}:{kv.Key}={kv.Value}"),
            $"--contentRoot={modelFolder}",
            "--Logging:LogLevel:Default=Warning",
        ];
        var app = ServingHost.Build<TService, TModel>(args, loader);
        await app.StartAsync().WaitAsync(Eventually.Patience);
        return new ServiceHost<TService, TModel>(app);
    }

    /// <summary>Starts the host and waits until it reports SERVING.</summary>
    public static async Task<ServiceHost<TService, TModel>> StartServingAsync(string modelFolder, ModelLoader<TModel> loader,
        IReadOnlyDictionary<string, string>? settings = null)
    {
        var host = await StartAsync(modelFolder, loader, settings);
        await host.WaitUntilServingAsync();
        return host;
    }

    /// <summary>The loader with its load held until <paramref name="gate"/> is set (health while loading).</summary>
    public static ModelLoader<TModel> Gated(ModelLoader<TModel> loader, ManualResetEventSlim gate) => loader with
    {
        Load = context =>
        {
            if (!gate.Wait(Eventually.Patience)) throw new TimeoutException("the test never released the model load");
            return loader.Load(context);
        },
    };

    public Task<HealthCheckResponse.Types.ServingStatus> HealthAsync(string service = "") => Health.StatusAsync(service);

    public Task WaitUntilServingAsync() => Health.WaitUntilServingAsync();

    /// <summary>/metrics over HTTP/1.1.</summary>
    public Task<string> MetricsAsync() => Http.GetStringAsync(new Uri("/metrics", UriKind.Relative));

    public Task<HttpStatusCode> GetStatusAsync(string path) => Http.StatusAsync(path);

    /// <summary>Requests that ran through a forward pass together with at least one other, read from the
    /// batch-size histogram of the host's "encode" queue (or any queue named).</summary>
    public async Task<(double Batches, double Requests)> BatchesAsync(string queue)
    {
        var metrics = await MetricsAsync();
        return (PrometheusText.Value(metrics, "mustafar_batch_size_count", $"queue=\"{queue}\""),
            PrometheusText.Value(metrics, "mustafar_batch_size_sum", $"queue=\"{queue}\""));
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        Channel.Dispose();
        try
        {
            await App.StopAsync().WaitAsync(Eventually.Patience);
        }
        finally
        {
            await App.DisposeAsync();
        }
    }
}
