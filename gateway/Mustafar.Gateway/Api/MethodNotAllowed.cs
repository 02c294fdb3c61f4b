using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Mustafar.Gateway.Api;

/// <summary>
/// A known API path asked with a method it does not take is 405 with Allow, not 404: ASP.NET answers 405 by itself
/// only when no other endpoint matches, and the gateway's fallback (unknown paths: 404, unknown gRPC services:
/// UNIMPLEMENTED) matches every path, so "GET /v1/chat/completions" read as "no such endpoint".
/// </summary>
public static class MethodNotAllowed
{
    private static readonly string[] Methods =
        [HttpMethods.Get, HttpMethods.Head, HttpMethods.Post, HttpMethods.Put, HttpMethods.Patch, HttpMethods.Delete, HttpMethods.Options];

    /// <summary>Answers every method but <paramref name="allowed"/> on <paramref name="pattern"/> with 405.</summary>
    public static void Map(WebApplication app, string pattern, string allowed) =>
        app.MapMethods(pattern, Methods.Where(m => m != allowed), (HttpContext context) =>
        {
            context.Response.Headers.Allow = allowed;
            return ErrorResponses.WriteHttpAsync(context, new GatewayError(ErrorKind.MethodNotAllowed,
                $"{context.Request.Method} is not allowed on {context.Request.Path}; use {allowed}", null, "method_not_allowed"));
        });
}
