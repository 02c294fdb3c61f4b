using System.Diagnostics;
using Microsoft.AspNetCore.Builder;

namespace Mustafar.ServiceDefaults;

/// <summary>
/// Tells the client which trace its request made, on every HTTP response and in the response headers of every gRPC
/// call: <c>traceparent</c> (W3C, the entry span of this process) and <c>x-request-id</c> (the bare trace id, what a
/// log search or a trace viewer asks for).
/// </summary>
public static class TraceResponseHeaders
{
    public const string TraceParent = "traceparent";
    public const string RequestId = "x-request-id";

    public static IApplicationBuilder UseTraceResponseHeaders(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            if (Activity.Current is { IdFormat: ActivityIdFormat.W3C } activity)
            {
                // When the headers go out, so that an error answer (the exception handler clears the headers first)
                // carries them too.
                context.Response.OnStarting(() =>
                {
                    context.Response.Headers[TraceParent] = activity.Id;
                    context.Response.Headers[RequestId] = activity.TraceId.ToHexString();
                    return Task.CompletedTask;
                });
            }
            return next(context);
        });
}
