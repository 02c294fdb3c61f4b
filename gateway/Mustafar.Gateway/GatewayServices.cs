using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Mustafar.Gateway.Api;
using Mustafar.Gateway.Caching;
using Mustafar.Gateway.Clients;
using Mustafar.Gateway.Observability;
using Mustafar.Gateway.Pipeline;
using Mustafar.Gateway.Routing;
using Mustafar.ServiceDefaults;
using Mustafar.Contracts.Vqa.V1;
using Mustafar.Tensors.Grpc;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;
using Yarp.ReverseProxy.ServiceDiscovery;

namespace Mustafar.Gateway;

/// <summary>Registers everything the gateway runs on.</summary>
public static class GatewayServices
{
    public const string ConcurrencyPolicy = "vqa-concurrency";

    public static void Add(WebApplicationBuilder builder)
    {
        var services = builder.Services;
        builder.AddMeshTracing("Mustafar.Gateway");
        builder.AddValidatedOptions<GatewayOptions>(GatewayOptions.SectionName);
        builder.AddValidatedOptions<ProxyRouteOptions>(ProxyRouteOptions.SectionName);
        // Kestrel's body limit, gRPC's message limits and the concurrency limiter are set up before options resolve.
        var settings = builder.Configuration.ReadEarly<GatewayOptions>(GatewayOptions.SectionName);

        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = settings.Limits.MaxRequestBodyBytes);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<GatewayMetrics>();

        // YARP: clusters, routes, health checks from the "ReverseProxy" section; our probes and DNS discovery.
        services.AddReverseProxy().LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"));
        services.AddSingleton<IPassiveHealthCheckPolicy, UnreachableDestinationPolicy>();
        services.Replace(ServiceDescriptor.Singleton<IProbingRequestFactory, HealthProbeRequestFactory>());
        services.Replace(ServiceDescriptor.Singleton<IDestinationResolver, ReplicaDnsResolver>());
        services.AddSingleton<DestinationChannels>();
        services.AddSingleton<IClusterChangeListener>(sp => sp.GetRequiredService<DestinationChannels>());
        services.AddSingleton<UpstreamPools>();

        services.AddSingleton<ClipClient>();
        services.AddSingleton<DiffusionClient>();
        services.AddSingleton<GeneratorClient>();

        services.AddSingleton<RedisConnection>();
        services.AddSingleton<CacheWarnings>();
        services.AddSingleton<FeatureCache>();
        services.AddSingleton<ComputeLeases>();

        services.AddSingleton<ClipFeatures>();
        services.AddSingleton<DiffusionFeatures>();
        services.AddSingleton<VqaPipeline>();

        services.AddHttpClient(ImageUrls.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, ConnectTimeout = TimeSpan.FromSeconds(5) });
        services.AddSingleton<ImageUrls>();
        services.AddSingleton<ChatRequestMapper>();
        services.AddSingleton<ChatCompletionsEndpoint>();
        services.AddSingleton<IgnoredFieldLog>();
        services.AddSingleton<LargeBodyMemory>();
        services.AddSingleton<VqaFormEndpoint>();
        services.AddSingleton<ModelsEndpoint>();
        services.AddSingleton<Readiness>();

        services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = (int)Math.Min(settings.Limits.MaxRequestBodyBytes, int.MaxValue);
            grpc.MaxSendMessageSize = settings.Limits.MaxGrpcMessageBytes;
        }).RefuseMalformedRequests();
        GatewayReflection.Add(services);
        // The whole server ("") and the gateway's own service by name, as the model services register theirs; both
        // are the gateway's readiness.
        services.AddGrpcHealthChecks(health => health.Services.Map(VisualQuestionAnswering.Descriptor.FullName, _ => true))
            .AddCheck<Readiness>("ready", tags: [DefaultEndpoints.ReadyTag]);

        services.AddRateLimiter(limiter =>
        {
            limiter.AddConcurrencyLimiter(ConcurrencyPolicy, concurrency =>
            {
                concurrency.PermitLimit = Math.Max(1, settings.Limits.MaxConcurrentRequests);
                concurrency.QueueLimit = Math.Max(0, settings.Limits.QueueLimit);
                concurrency.QueueProcessingOrder = QueueProcessingOrder.OldestFirst;
            });
            limiter.OnRejected = async (context, cancellationToken) =>
            {
                var http = context.HttpContext;
                http.RequestServices.GetRequiredService<GatewayMetrics>().Rejected.WithLabels("concurrency").Inc();
                await ErrorResponses.WriteAsync(http, new GatewayError(ErrorKind.Overloaded,
                    $"the gateway is answering {settings.Limits.MaxConcurrentRequests} questions already; retry shortly", null, "too_many_requests"))
                    .ConfigureAwait(false);
            };
        });
    }
}
