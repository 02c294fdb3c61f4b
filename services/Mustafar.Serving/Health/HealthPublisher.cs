using Grpc.Health.V1;
using Grpc.HealthCheck;

namespace Mustafar.Serving;

/// <summary>
/// Mirrors <see cref="ServingStatus"/> into <c>grpc.health.v1</c>: SERVING only while the model is loaded, warmed
/// up and not draining, for the whole server ("") and for the model service's own name. Watchers are told at
/// once.
/// </summary>
internal sealed class HealthPublisher
{
    private readonly HealthServiceImpl health;
    private readonly ServingMetrics metrics;
    private readonly IReadOnlyList<string> serviceNames;

    public HealthPublisher(HealthServiceImpl health, ServingStatus status, ServingMetrics metrics, GrpcServiceName serviceName)
    {
        this.health = health;
        this.metrics = metrics;
        serviceNames = ["", serviceName.FullName];
        status.Changed += Publish;
        Publish(status.State);
    }

    public void Publish(ServingState state)
    {
        var ready = state == ServingState.Ready;
        var serving = ready ? HealthCheckResponse.Types.ServingStatus.Serving : HealthCheckResponse.Types.ServingStatus.NotServing;
        foreach (var name in serviceNames) health.SetStatus(name, serving);
        metrics.SetReady(ready);
    }
}
