using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Mustafar.Gateway.Api.OpenAi;

namespace Mustafar.Gateway.Api;

/// <summary>Writes errors the way each caller expects them: OpenAI-style JSON for HTTP
/// (<c>{"error": {"message", "type", "param", "code"}}</c>), a trailers-only status for gRPC.</summary>
public static class ErrorResponses
{
    public static ErrorResponse Body(GatewayError error) =>
        new(new ErrorDetail { Message = error.Message, Type = ErrorMapping.OpenAiType(error.Kind), Param = error.Param, Code = error.Code });

    public static async Task WriteAsync(HttpContext context, GatewayError error)
    {
        if (IsGrpc(context.Request))
        {
            WriteGrpcStatus(context, ErrorMapping.GrpcStatus(error.Kind), ErrorMapping.GrpcMessage(error));
            return;
        }
        await WriteHttpAsync(context, error).ConfigureAwait(false);
    }

    /// <summary>The error as HTTP status and JSON, also for a request that claims to be gRPC.</summary>
    public static async Task WriteHttpAsync(HttpContext context, GatewayError error)
    {
        context.Response.StatusCode = error.HttpStatus;
        if (error.Kind == ErrorKind.Unauthenticated) context.Response.Headers.WWWAuthenticate = "Bearer";
        if (ErrorMapping.RetryAfterSeconds(error.Kind) is { } seconds)
            context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await context.Response.WriteAsJsonAsync(Body(error), ApiJsonContext.Default.ErrorResponse, cancellationToken: context.RequestAborted).ConfigureAwait(false);
    }

    public static bool IsGrpc(HttpRequest request) =>
        request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>A gRPC "trailers-only" answer from middleware that runs before any gRPC service (API keys,
    /// concurrency limit): HTTP 200 with grpc-status in the headers, which every gRPC client reads as the status.</summary>
    public static void WriteGrpcStatus(HttpContext context, StatusCode status, string message)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/grpc";
        context.Response.Headers["grpc-status"] = ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.Response.Headers["grpc-message"] = Uri.EscapeDataString(message);
    }
}
