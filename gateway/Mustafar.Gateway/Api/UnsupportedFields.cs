using System.Text.Json;
using Mustafar.Gateway.Api.OpenAi;

namespace Mustafar.Gateway.Api;

/// <summary>
/// The OpenAI chat request fields the gateway does not implement yet, refused in this one place: a request that
/// uses one gets 400 naming it, never a 200 that silently did not do what was asked. A value that asks for nothing
/// (the field's default: <c>tool_choice: "none"</c>, a text response format, an empty list) is accepted. To
/// implement a field, give its property in <see cref="ChatCompletionRequest"/> a real type and remove its entry here.
/// </summary>
public static class UnsupportedFields
{
    private static readonly (string Name, Func<ChatCompletionRequest, JsonElement> Value, Func<JsonElement, bool> AsksForNothing)[] Refused =
    [
        ("response_format", r => r.ResponseFormat, v => v.ValueKind == JsonValueKind.Object && v.TryGetProperty("type", out var type) && type.ValueEquals("text")),
        ("tools", r => r.Tools, v => v.ValueKind == JsonValueKind.Array && v.GetArrayLength() == 0),
        ("tool_choice", r => r.ToolChoice, v => v.ValueKind == JsonValueKind.String && v.ValueEquals("none")),
        // The deprecated forms of tools and tool_choice.
        ("functions", r => r.Functions, v => v.ValueKind == JsonValueKind.Array && v.GetArrayLength() == 0),
        ("function_call", r => r.FunctionCall, v => v.ValueKind == JsonValueKind.String && v.ValueEquals("none")),
    ];

    /// <exception cref="GatewayException">400 naming the first field that asks for something unsupported.</exception>
    public static void Refuse(ChatCompletionRequest request)
    {
        foreach (var (name, value, asksForNothing) in Refused)
        {
            var v = value(request);
            if (v.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null || asksForNothing(v)) continue;
            throw new GatewayException(ErrorKind.InvalidInput,
                $"{name} is not supported by this server yet; leave it out (or send its default) and the request is answered", name, "unsupported_parameter");
        }
    }
}
