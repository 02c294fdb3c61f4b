using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mustafar.Gateway.Api;

/// <summary>JSON settings of the HTTP API: OpenAI's snake_case names; nulls are written (OpenAI sends
/// "finish_reason": null in chunks).</summary>
public static class ApiJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        NumberHandling = JsonNumberHandling.Strict,
    };
}
