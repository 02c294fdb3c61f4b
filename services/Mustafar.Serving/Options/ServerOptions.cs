using Mustafar.ServiceDefaults;
using System.Net;

namespace Mustafar.Serving;

/// <summary>Where the host listens and how large messages may be. Section <c>Mustafar:Server</c>.</summary>
/// <remarks>gRPC is served as HTTP/2 over cleartext (h2c, prior knowledge) on <see cref="GrpcPort"/>. HTTP/1.1
/// clients (Kubernetes probes, Prometheus, curl) use <see cref="HttpPort"/>: without TLS there is no ALPN, so one
/// cleartext port cannot offer both protocols. /healthz, /readyz and /metrics answer on both ports, so HTTP/2
/// prior-knowledge clients such as YARP's active health checks can probe the gRPC port itself.</remarks>
public sealed class ServerOptions : IValidatedOptions
{
    public const string Section = ServingOptionKeys.Root + ":Server";

    /// <summary>Address to bind: an IP address, <c>*</c> or <c>0.0.0.0</c> (every IPv4 interface), <c>::</c>
    /// (every IPv6 interface) or <c>localhost</c>.</summary>
    public string BindAddress { get; set; } = "0.0.0.0";

    /// <summary>The h2c gRPC port; 0 picks a free port (tests).</summary>
    public int GrpcPort { get; set; } = 50051;

    /// <summary>The HTTP/1.1 port for /healthz, /readyz and /metrics; 0 picks a free port (tests).</summary>
    public int HttpPort { get; set; } = 8080;

    /// <summary>Largest gRPC request message in bytes (images arrive whole).</summary>
    public int MaxReceiveMessageBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>Largest gRPC response message in bytes (features of real models exceed gRPC's 4 MB default).</summary>
    public int MaxSendMessageBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>On shutdown, how long in-flight calls may take to finish before they are failed with
    /// UNAVAILABLE, in seconds.</summary>
    public double DrainTimeoutSeconds { get; set; } = 30;

    public TimeSpan DrainTimeout => TimeSpan.FromSeconds(DrainTimeoutSeconds);

    /// <summary>The address to bind; null when <see cref="BindAddress"/> is <c>localhost</c>.</summary>
    public IPAddress? ResolveBindAddress() => BindAddress.Trim() switch
    {
        "*" or "0.0.0.0" or "" => IPAddress.Any,
        "::" or "[::]" => IPAddress.IPv6Any,
        var text when text.Equals("localhost", StringComparison.OrdinalIgnoreCase) => null,
        var text => IPAddress.Parse(text),
    };

    public IEnumerable<string> Validate()
    {
        var trimmed = BindAddress.Trim();
        if (trimmed is not ("*" or "" or "::" or "[::]") && !trimmed.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            && !IPAddress.TryParse(trimmed, out _))
            yield return $"{Section}:BindAddress '{BindAddress}' is not an IP address, '*', '::' or 'localhost'";
        if (GrpcPort is < 0 or > 65535) yield return $"{Section}:GrpcPort must be 0..65535, not {GrpcPort}";
        if (HttpPort is < 0 or > 65535) yield return $"{Section}:HttpPort must be 0..65535, not {HttpPort}";
        if (GrpcPort != 0 && GrpcPort == HttpPort)
            yield return $"{Section}:HttpPort must differ from {Section}:GrpcPort ({GrpcPort}): h2c and HTTP/1.1 cannot share a cleartext port";
        if (MaxReceiveMessageBytes < 1024)
            yield return $"{Section}:MaxReceiveMessageBytes must be at least 1024, not {MaxReceiveMessageBytes}";
        if (MaxSendMessageBytes < 1024)
            yield return $"{Section}:MaxSendMessageBytes must be at least 1024, not {MaxSendMessageBytes}";
        if (!double.IsFinite(DrainTimeoutSeconds) || DrainTimeoutSeconds < 0 || DrainTimeoutSeconds > 3600)
            yield return $"{Section}:DrainTimeoutSeconds must be between 0 and 3600, not {DrainTimeoutSeconds}";
    }
}
