using Grpc.AspNetCore.Server;
using Grpc.HealthCheck;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mustafar.ServiceDefaults;
using Mustafar.Tensors.Grpc;

namespace Mustafar.Serving;

/// <summary>
/// Builds a model host in one call: options bound from configuration (appsettings, <c>MUSTAFAR__</c> environment
/// variables, <c>--Mustafar:Section:Key=value</c> arguments) and validated at start-up, the model runtime and its
/// load at start-up, the gRPC service (a singleton) behind the serving interceptor, <c>grpc.health.v1</c>,
/// reflection, /healthz, /readyz, /metrics, traces, the Kestrel endpoints, message limits and graceful shutdown.
/// </summary>
public static class ServingHost
{
    /// <summary>A ready-to-run host for <typeparamref name="TService"/> over <typeparamref name="TModel"/>.</summary>
    /// <param name="configure">Extra registrations (host options, a tokenizer) before the app is built.</param>
    public static WebApplication Build<TService, TModel>(string[] args, ModelLoader<TModel> loader,
        Action<WebApplicationBuilder>? configure = null)
        where TService : class
        where TModel : class
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = HostContentRoot.Default(args) });
        builder.AddServing<TService, TModel>(loader);
        configure?.Invoke(builder);
        var app = builder.Build();
        app.MapServing<TService>();
        return app;
    }

    /// <summary>A host's whole Program.cs: builds the host, runs it until it is stopped (SIGTERM, Ctrl+C) and
    /// returns the process exit code: 0 after a clean shutdown, 1 when the model failed to load, 2 for invalid
    /// configuration (every problem is printed, each named by its configuration key).</summary>
    public static Task<int> RunAsync<TService, TModel>(string[] args, ModelLoader<TModel> loader,
        Action<WebApplicationBuilder>? configure = null)
        where TService : class
        where TModel : class =>
        StartupValidation.RunAsync(() => Build<TService, TModel>(args, loader, configure).RunServingAsync());

    /// <summary>Registers everything a model host needs. <see cref="MapServing{TService}"/> maps it.</summary>
    public static WebApplicationBuilder AddServing<TService, TModel>(this WebApplicationBuilder builder, ModelLoader<TModel> loader)
        where TService : class
        where TModel : class
    {
        var services = builder.Services;
        builder.AddMeshTracing(typeof(TService).Assembly.GetName().Name!);
        builder.AddValidatedOptions<ModelOptions>(ModelOptions.Section);
        builder.AddValidatedOptions<BatchingOptions>(BatchingOptions.Section);
        builder.AddValidatedOptions<ServerOptions>(ServerOptions.Section);
        builder.AddValidatedOptions<LimitsOptions>(LimitsOptions.Section);
        builder.AddValidatedOptions<FaultOptions>(FaultOptions.Section);

        services.AddSingleton(sp => new ServingStatus(sp.GetRequiredService<IOptions<ModelOptions>>().Value.ResolveId()));
        services.AddSingleton(sp => new ServingMetrics(sp.GetRequiredService<ServingStatus>().ModelId));
        services.AddSingleton(loader);
        services.AddSingleton<ModelRuntime<TModel>>();
        services.AddSingleton(sp => new InferenceThreadProbe(() => sp.GetRequiredService<ModelRuntime<TModel>>().Thread.IsAlive));
        services.AddHostedService<ModelLifecycle<TModel>>();
        services.AddOptions<HostOptions>().Configure<IOptions<ServerOptions>>((host, server) =>
            host.ShutdownTimeout = server.Value.DrainTimeout + TimeSpan.FromSeconds(15));

        services.AddSingleton(GrpcServiceName.Of(typeof(TService)));
        services.AddSingleton<HealthServiceImpl>();
        services.AddSingleton<HealthPublisher>();
        // An unready model is expected while it loads or drains; the state changes are logged by the runtime, so
        // the health check service need not log an error for every probe meanwhile.
        builder.Logging.AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.Critical);
        services.AddHealthChecks()
            .AddCheck<LivenessCheck>("inference-thread", tags: [DefaultEndpoints.LiveTag])
            .AddCheck<ReadinessCheck>("model", tags: [DefaultEndpoints.ReadyTag]);

        services.AddSingleton<ServingInterceptor>();
        services.AddSingleton<TService>();
        services.AddGrpc(grpc => grpc.EnableDetailedErrors = false)
            .RefuseMalformedRequests()
            .AddServiceOptions<TService>(grpc => grpc.Interceptors.Add<ServingInterceptor>());
        services.AddOptions<GrpcServiceOptions>().Configure<IOptions<ServerOptions>>((grpc, server) =>
        {
            grpc.MaxReceiveMessageSize = server.Value.MaxReceiveMessageBytes;
            grpc.MaxSendMessageSize = server.Value.MaxSendMessageBytes;
        });
        services.AddGrpcReflection();

        services.AddSingleton<ServingEndpoints>();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ApplicationServices.GetRequiredService<ServingEndpoints>().Configure(kestrel));
        return builder;
    }

    /// <summary>Maps the gRPC service, health, reflection, /healthz, /readyz and /metrics.</summary>
    public static WebApplication MapServing<TService>(this WebApplication app) where TService : class
    {
        app.MapGrpcService<TService>();
        app.MapGrpcService<HealthServiceImpl>();
        app.MapGrpcReflectionService();
        app.MapDefaultEndpoints(app.Services.GetRequiredService<ServingMetrics>().Registry);
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var endpoints = app.Services.GetRequiredService<ServingEndpoints>();
            app.Logger.LogInformation("gRPC (h2c) on {Grpc}; /healthz, /readyz and /metrics (HTTP/1.1) on {Http}",
                endpoints.GrpcAddress, endpoints.HttpAddress);
        });
        return app;
    }

    /// <summary>Runs a built host until it is stopped and returns the process exit code: 0 after a clean
    /// shutdown, 1 when the model failed to load. Configuration errors throw (see <see cref="RunAsync{TService,TModel}"/>).</summary>
    public static async Task<int> RunServingAsync(this WebApplication app)
    {
        // RunAsync disposes the host, and its services with it: take the status first.
        var status = app.Services.GetRequiredService<ServingStatus>();
        await app.RunAsync().ConfigureAwait(false);
        return status.State == ServingState.Failed ? 1 : 0;
    }
}
