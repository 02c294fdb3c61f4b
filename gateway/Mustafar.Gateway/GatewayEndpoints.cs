using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Mustafar.Gateway.Api;
using Mustafar.Gateway.Observability;
using Mustafar.Gateway.Routing;
using Mustafar.ServiceDefaults;

namespace Mustafar.Gateway;

/// <summary>The middleware order and every endpoint: the HTTP API, the gRPC services, and the YARP routes.</summary>
public static class GatewayEndpoints
{
    public static void Map(WebApplication app)
    {
        // First, so that errors (and the exception handler's answers) carry the trace id too.
        app.UseTraceResponseHeaders();
        // Last resort: an unexpected exception is a JSON error without internals, never a stack trace.
        app.UseExceptionHandler(handler => handler.Run(context =>
        {
            var exception = context.Features.Get<IExceptionHandlerFeature>()?.Error;
            return ErrorResponses.WriteAsync(context, exception is null
                ? new GatewayError(ErrorKind.BadUpstream, "internal gateway error; see the gateway log", null, "internal_error")
                : ErrorMapping.From(exception));
        }));
        app.UseRouting();
        app.UseMiddleware<ApiKeyMiddleware>();
        app.UseRateLimiter();

        app.MapPost("/v1/chat/completions", (HttpContext context, ChatCompletionsEndpoint endpoint) => endpoint.HandleAsync(context))
            .RequireRateLimiting(GatewayServices.ConcurrencyPolicy);
        app.MapPost("/v1/vqa", (HttpContext context, VqaFormEndpoint endpoint) => endpoint.HandleAsync(context))
            .RequireRateLimiting(GatewayServices.ConcurrencyPolicy);
        app.MapGet("/v1/models", (HttpContext context, ModelsEndpoint endpoint) => endpoint.ListAsync(context));
        app.MapGet("/v1/models/{id}", (HttpContext context, string id, ModelsEndpoint endpoint) => endpoint.GetAsync(context, id));

        MethodNotAllowed.Map(app, "/v1/chat/completions", HttpMethods.Post);
        MethodNotAllowed.Map(app, "/v1/vqa", HttpMethods.Post);
        MethodNotAllowed.Map(app, "/v1/models", HttpMethods.Get);
        MethodNotAllowed.Map(app, "/v1/models/{id}", HttpMethods.Get);

        app.MapDefaultEndpoints(app.Services.GetRequiredService<GatewayMetrics>().Registry,
            new HealthResponses(Liveness: (context, _) => context.Response.WriteAsJsonAsync(new { status = "ok" }), Readiness: Readiness.WriteAsync));

        app.MapGrpcService<VqaGrpcService>().RequireRateLimiting(GatewayServices.ConcurrencyPolicy);
        app.MapGrpcReflectionService();
        app.MapGrpcHealthChecksService();

        // /mustafar.clip.v1.ClipEncoder/* and the other pools, load-balanced and health-checked; a failed forward of a
        // gRPC call answers with a gRPC status that names the pool; what is not gRPC is refused before it is forwarded,
        // and only healthy destinations are picked (the standard steps follow, in YARP's order).
        app.MapReverseProxy(proxy =>
        {
            proxy.Use(GrpcContentType.RefuseOthersAsync);
            proxy.Use(ProxyFailures.WriteGrpcStatusAsync);
            proxy.Use(HealthyDestinations.KeepHealthyAsync);
            proxy.UseSessionAffinity();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
        });

        app.MapFallback(context =>
        {
            if (ErrorResponses.IsGrpc(context.Request))
            {
                ErrorResponses.WriteGrpcStatus(context, Grpc.Core.StatusCode.Unimplemented, $"no service at {context.Request.Path}");
                return Task.CompletedTask;
            }
            return ErrorResponses.WriteAsync(context, new GatewayError(ErrorKind.NotFound, $"no endpoint at {context.Request.Method} {context.Request.Path}", null, "unknown_url"));
        });
    }
}
