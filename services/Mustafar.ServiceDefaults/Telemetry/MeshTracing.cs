using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Mustafar.ServiceDefaults;

/// <summary>
/// Traces across the mesh, the same in every process. W3C <c>traceparent</c> comes in with every HTTP and gRPC
/// request (ASP.NET Core) and goes out with every gRPC and HTTP call (the gRPC and HttpClient instrumentations); the
/// project's own spans (cache lookups, pool calls, generation phases) come from <see cref="Source"/>. Spans are always
/// made, so that responses and log lines carry the trace id; they are exported over OTLP only when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (or <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c>) is set, with the SDK's standard
/// <c>OTEL_*</c> variables (protocol, headers, <c>OTEL_BSP_*</c>, <c>OTEL_RESOURCE_ATTRIBUTES</c>; <c>OTEL_SERVICE_NAME</c>
/// replaces the process's default name). Probes and scrapes (/healthz, /readyz, /metrics) make no spans.
/// </summary>
public static class MeshTracing
{
    /// <summary>The name of <see cref="Source"/>.</summary>
    public const string SourceName = "Mustafar.Mesh";

    /// <summary>Where the project's own spans come from.</summary>
    public static ActivitySource Source { get; } = new(SourceName);

    /// <summary>Tracing, and the trace and span ids in the scope of every log line written inside a span.</summary>
    /// <param name="defaultServiceName">service.name unless <c>OTEL_SERVICE_NAME</c> says otherwise.</param>
    public static WebApplicationBuilder AddMeshTracing(this WebApplicationBuilder builder, string defaultServiceName)
    {
        builder.Logging.Configure(logging =>
            logging.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);
        // The console writes the scope (and so the trace id) on each line's second line: "=> SpanId:..., TraceId:...".
        builder.Logging.AddSimpleConsole(console => console.IncludeScopes = true);

        var configuration = builder.Configuration;
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource =>
            {
                if (string.IsNullOrEmpty(configuration["OTEL_SERVICE_NAME"])) resource.AddService(defaultServiceName);
            })
            .WithTracing(tracing =>
            {
                tracing.AddSource(SourceName)
                    .AddAspNetCoreInstrumentation(aspnet => aspnet.Filter = context => !IsProbe(context.Request.Path))
                    // One client span per gRPC call (not another for its HTTP/2 request); it sends the traceparent.
                    .AddGrpcClientInstrumentation(grpc => grpc.SuppressDownstreamInstrumentation = true)
                    // YARP's active health probes run every few seconds: no trace for each.
                    .AddHttpClientInstrumentation(http => http.FilterHttpRequestMessage = request =>
                        request.RequestUri is not { } uri || !IsProbe(uri.AbsolutePath));
                if (ExportsOtlp(configuration)) tracing.AddOtlpExporter();
            });
        return builder;
    }

    /// <summary>Whether the standard variables name an OTLP endpoint for traces.</summary>
    public static bool ExportsOtlp(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"])
        || !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]);

    private static bool IsProbe(PathString path) =>
        path.StartsWithSegments(DefaultEndpoints.LivenessPath) || path.StartsWithSegments(DefaultEndpoints.ReadinessPath)
        || path.StartsWithSegments(DefaultEndpoints.MetricsPath);
}
