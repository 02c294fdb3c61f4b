using Microsoft.AspNetCore.Http;
using Mustafar.Gateway.Api.OpenAi;

namespace Mustafar.Gateway.Api;

/// <summary>What an HTTP endpoint does with an exception: log it (with its stack trace only when it is the
/// gateway's own fault), and answer with the error JSON, or an SSE error event when the stream has begun. A
/// client that went away gets nothing.</summary>
public static class HttpFailures
{
    public static async Task HandleAsync(HttpContext context, RequestScope scope, Exception exception, ILogger logger, bool streaming = false)
    {
        var error = scope.Classify(exception);
        if (error.Kind == ErrorKind.BadUpstream)
            logger.LogError(exception, "{Path} failed: {Message}", context.Request.Path, error.Message);
        else
            logger.LogInformation("{Path} answered {Status}: {Message}", context.Request.Path, error.HttpStatus, error.Message);

        if (error.Kind == ErrorKind.Cancelled || context.RequestAborted.IsCancellationRequested) return;
        if (!context.Response.HasStarted)
        {
            await ErrorResponses.WriteAsync(context, error).ConfigureAwait(false);
            return;
        }
        if (streaming)
        {
            // OpenAI's convention for a failure after the stream began: the error as one event, then [DONE].
            await ChatStream.WriteFailureAsync(context.Response, ErrorResponses.Body(error), context.RequestAborted).ConfigureAwait(false);
            return;
        }
        context.Abort(); // a JSON body half written cannot be turned into an error any more
    }

    /// <summary>Refuses a body whose declared length is over the limit before reading it, and caps what Kestrel
    /// reads for this request (for chunked bodies without a length).</summary>
    public static void LimitBody(HttpContext context, long maxBytes)
    {
        if (context.Request.ContentLength > maxBytes)
            throw new GatewayException(ErrorKind.TooLarge,
                $"the request body has {context.Request.ContentLength} bytes; the largest accepted is {maxBytes}", null, "request_too_large");
        var feature = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false }) feature.MaxRequestBodySize = maxBytes;
    }
}
