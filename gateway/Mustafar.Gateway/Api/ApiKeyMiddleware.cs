using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Mustafar.Gateway.Observability;

namespace Mustafar.Gateway.Api;

/// <summary>
/// Optional API keys (off while <see cref="GatewayOptions.ApiKeys"/> is empty). When on, the APIs (/v1/*, the gRPC
/// VQA service) and the proxied encoder routes need <c>Authorization: Bearer KEY</c> (gRPC: the same
/// <c>authorization</c> metadata). Health, readiness, metrics, gRPC health and reflection stay open for probes and
/// tools. Keys are compared by their SHA-256 in constant time.
/// </summary>
public sealed class ApiKeyMiddleware(RequestDelegate next, IOptionsMonitor<GatewayOptions> options, GatewayMetrics metrics)
{
    private static readonly string[] OpenPrefixes = ["/healthz", "/readyz", "/metrics", "/grpc.health.v1.", "/grpc.reflection."];

    public async Task InvokeAsync(HttpContext context)
    {
        var keys = options.CurrentValue.ApiKeys;
        if (keys.Count == 0 || IsOpen(context.Request.Path) || IsValid(context.Request.Headers.Authorization.ToString(), keys))
        {
            await next(context).ConfigureAwait(false);
            return;
        }
        metrics.Rejected.WithLabels("api_key").Inc();
        var error = new GatewayError(ErrorKind.Unauthenticated,
            "a valid API key is required: send it as \"Authorization: Bearer KEY\"", null, "invalid_api_key");
        if (ErrorResponses.IsGrpc(context.Request))
            ErrorResponses.WriteGrpcStatus(context, StatusCode.Unauthenticated, error.Message);
        else
            await ErrorResponses.WriteAsync(context, error).ConfigureAwait(false);
    }

    private static bool IsOpen(PathString path) =>
        OpenPrefixes.Any(prefix => path.Value?.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) == true);

    private static bool IsValid(string authorization, List<string> keys)
    {
        const string bearer = "Bearer ";
        var presented = authorization.StartsWith(bearer, StringComparison.OrdinalIgnoreCase) ? authorization[bearer.Length..].Trim() : authorization.Trim();
        if (presented.Length == 0) return false;
        var presentedHash = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        var valid = false;
        foreach (var key in keys)
            valid |= CryptographicOperations.FixedTimeEquals(presentedHash, SHA256.HashData(Encoding.UTF8.GetBytes(key)));
        return valid;
    }
}
