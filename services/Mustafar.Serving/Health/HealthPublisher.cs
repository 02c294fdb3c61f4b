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
    private readonly HealthServiceImpl _health;
    private readonly ServingMetrics _metrics;
    private readonly IReadOnlyList<string> _serviceNames;

    public HealthPublisher(HealthServiceImpl health, ServingStatus status, ServingMetrics metrics, GrpcServiceName serviceName)
    {
        _health = health;
        _metrics = metrics;
        _serviceNames = ["", serviceName.FullName];
        status.Changed += Publish;
        Publish(status.State);
    }

    public void Publish(ServingState state)
    {
        var ready = state == ServingState.Ready;
        var serving = ready ? HealthCheckResponse.Types.ServingStatus.Serving : HealthCheckResponse.Types.ServingStatus.NotServing;
        foreach (var name in _serviceNames) _health.SetStatus(name, serving);
        _metrics.SetReady(ready);
    }
}
