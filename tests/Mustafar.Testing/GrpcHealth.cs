using Grpc.Core;
using Grpc.Health.V1;

namespace Mustafar.Testing;

/// <summary><c>grpc.health.v1</c> as tests ask it, each call bounded by <see cref="Eventually.Patience"/>.</summary>
public static class GrpcHealth
{
    /// <summary>The status of <paramref name="service"/> ("" is the whole server).</summary>
    public static async Task<HealthCheckResponse.Types.ServingStatus> StatusAsync(this Health.HealthClient health, string service = "") =>
        (await health.CheckAsync(new HealthCheckRequest { Service = service }, deadline: DateTime.UtcNow + Eventually.Patience)).Status;

    /// <summary>Watches the server's status until it says SERVING.</summary>
    public static async Task WaitUntilServingAsync(this Health.HealthClient health)
    {
        using var watch = health.Watch(new HealthCheckRequest(), deadline: DateTime.UtcNow + Eventually.Patience);
        while (await watch.ResponseStream.MoveNext(CancellationToken.None))
            if (watch.ResponseStream.Current.Status == HealthCheckResponse.Types.ServingStatus.Serving) return;
        throw new InvalidOperationException("the health stream ended before SERVING");
    }
}

/// <summary>HTTP/1.1 probes (/healthz, /readyz, /metrics) as tests ask them.</summary>
public static class HttpProbes
{
    /// <summary>The status code a GET of <paramref name="path"/> answers with.</summary>
    public static async Task<System.Net.HttpStatusCode> StatusAsync(this HttpClient http, string path)
    {
        using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
        return response.StatusCode;
    }
}
