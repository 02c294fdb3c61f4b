using System.Text.Json;
using System.Text.Json.Serialization;
using Mustafar.Gateway.Api.OpenAi;

namespace Mustafar.Gateway.Api;

/// <summary>Every JSON body the HTTP API reads or writes, serialised by generated code: OpenAI's snake_case names,
/// numbers only as numbers, and nulls written (OpenAI sends "finish_reason": null in chunks) unless a property says
/// it is omitted.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web,
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(ChatCompletionRequest))]
[JsonSerializable(typeof(ChatCompletion))]
[JsonSerializable(typeof(ChatCompletionChunk))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(ModelList))]
[JsonSerializable(typeof(ModelCard))]
[JsonSerializable(typeof(VqaFormAnswer))]
public sealed partial class ApiJsonContext : JsonSerializerContext;
