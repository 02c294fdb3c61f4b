using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Mustafar.Serving;

/// <summary>HTTP /healthz: the process is alive and its inference thread runs. A host that is loading or
/// draining is alive; only a failed load or a dead inference thread is not (Kubernetes then restarts it).</summary>
internal sealed class LivenessCheck(ServingStatus status, InferenceThreadProbe thread) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(
            status.State == ServingState.Failed ? HealthCheckResult.Unhealthy($"model load failed: {status.FailureReason}")
            : thread.IsAlive() || status.State == ServingState.Stopped ? HealthCheckResult.Healthy(status.State.ToString())
            : HealthCheckResult.Unhealthy("the inference thread has died"));
}

/// <summary>HTTP /readyz: the model is loaded, warmed up and not draining (YARP active health checks and
/// Kubernetes readiness).</summary>
internal sealed class ReadinessCheck(ServingStatus status) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(status.IsReady
            ? HealthCheckResult.Healthy("ready")
            : HealthCheckResult.Unhealthy(status.State.ToString().ToLowerInvariant()));
}

/// <summary>Lets liveness see the inference thread without knowing the model type.</summary>
internal sealed record InferenceThreadProbe(Func<bool> IsAlive);
