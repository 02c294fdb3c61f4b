using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Prometheus;

namespace Mustafar.ServiceDefaults;

/// <summary>How a process writes the answer of one of its health endpoints (null: ASP.NET Core's plain-text status).</summary>
public sealed record HealthResponses(
    Func<HttpContext, HealthReport, Task>? Liveness = null,
    Func<HttpContext, HealthReport, Task>? Readiness = null);

/// <summary>
/// The HTTP endpoints every process serves for probes and scrapes: <c>/healthz</c> runs the health checks tagged
/// <see cref="LiveTag"/> (Kubernetes liveness: restart when it fails), <c>/readyz</c> those tagged
/// <see cref="ReadyTag"/> (readiness: YARP's active probes and Kubernetes stop sending work), <c>/metrics</c> the
/// process's Prometheus registry. Healthy is 200; unhealthy is 503.
/// </summary>
public static class DefaultEndpoints
{
    public const string LivenessPath = "/healthz";
    public const string ReadinessPath = "/readyz";
    public const string MetricsPath = "/metrics";

    /// <summary>The tag of the health checks /healthz runs.</summary>
    public const string LiveTag = "live";

    /// <summary>The tag of the health checks /readyz runs.</summary>
    public const string ReadyTag = "ready";

    public static WebApplication MapDefaultEndpoints(this WebApplication app, CollectorRegistry metrics, HealthResponses? responses = null)
    {
        app.MapHealthChecks(LivenessPath, Options(LiveTag, responses?.Liveness));
        app.MapHealthChecks(ReadinessPath, Options(ReadyTag, responses?.Readiness));
        app.MapMetrics(MetricsPath, metrics);
        return app;
    }

    private static HealthCheckOptions Options(string tag, Func<HttpContext, HealthReport, Task>? writer)
    {
        var options = new HealthCheckOptions { Predicate = check => check.Tags.Contains(tag) };
        if (writer is not null) options.ResponseWriter = writer;
        return options;
    }
}
