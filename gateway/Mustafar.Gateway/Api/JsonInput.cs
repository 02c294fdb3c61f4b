using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Mustafar.Tensors;

namespace Mustafar.Gateway.Api;

/// <summary>
/// Reading a JSON request body: it must be declared as JSON (415 otherwise, which also keeps browsers from posting
/// it cross-site as a "simple" text/plain request without a CORS preflight); a body that does not fit names the field
/// and the expected kind of value, never a .NET type; and strings must be well-formed UTF-16 (JSON's "\ud800" escapes
/// can spell a lone surrogate, which no UTF-8 message to a service can carry).
/// </summary>
public static class JsonInput
{
    public static void RequireJson(HttpRequest request)
    {
        if (!request.HasJsonContentType())
            throw new GatewayException(ErrorKind.UnsupportedMediaType,
                $"the body must be JSON with Content-Type: application/json, not '{request.ContentType ?? "(none)"}'", null, "invalid_content_type");
    }

    /// <summary>The error for a body the serializer refused.</summary>
    public static GatewayException Invalid(JsonException error, string what)
    {
        var param = error.Path is { Length: > 1 } path ? path.TrimStart('$', '.') : null;
        const string conversion = "The JSON value could not be converted to ";
        var detail = error.Message.StartsWith(conversion, StringComparison.Ordinal)
            ? $"{param ?? "the body"} must be {Expected(error.Message[conversion.Length..])}"
            : error.Message;
        return new GatewayException(ErrorKind.InvalidInput, $"the body is not a valid {what}: {detail}", param, "invalid_json");
    }

    private static string Expected(string type) =>
        type.Contains("UInt64", StringComparison.Ordinal) ? $"an integer from 0 to {ulong.MaxValue}"
        : type.Contains("Int64", StringComparison.Ordinal) ? $"an integer from {long.MinValue} to {long.MaxValue}"
        : type.Contains("Int32", StringComparison.Ordinal) ? $"an integer from {int.MinValue} to {int.MaxValue}"
        : type.Contains("Single", StringComparison.Ordinal) ? "a number"
        : type.Contains("Boolean", StringComparison.Ordinal) ? "true or false"
        : type.StartsWith("System.String", StringComparison.Ordinal) ? "a string of well-formed UTF-16 (no unpaired surrogate escape)"
        : type.Contains("List", StringComparison.Ordinal) ? "an array"
        : "an object";

    /// <summary>A JSON string's value, refusing an unpaired surrogate escape as the caller's mistake.</summary>
    public static string Text(JsonElement element, string field)
    {
        try
        {
            return element.GetString() ?? "";
        }
        catch (InvalidOperationException)
        {
            throw UnpairedSurrogate(field);
        }
    }

    public static InvalidInputException UnpairedSurrogate(string field) =>
        new(field, "is not well-formed UTF-16: it has an unpaired surrogate escape (\\ud800-\\udfff)");
}
