using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mustafar.Gateway.Api.OpenAi;

/// <summary>One event of a streamed chat completion ("chat.completion.chunk"): the role first, then content deltas,
/// then the finish reason (with Mustafar's metadata), then, when the request asked for it, one with the usage and
/// no choices.</summary>
public sealed record ChatCompletionChunk
{
    public required string Id { get; init; }
    public string Object => "chat.completion.chunk";
    public required long Created { get; init; }
    public required string Model { get; init; }
    public required IReadOnlyList<ChunkChoice> Choices { get; init; }

    /// <summary>Absent unless the request set stream_options.include_usage; then null in every chunk but the last.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public StreamUsage Usage { get; init; }

    /// <summary>Only in the chunk with the finish reason.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public MustafarMetadata? Mustafar { get; init; }
}

public sealed record ChunkChoice
{
    public int Index { get; init; }
    public required ChunkDelta Delta { get; init; }

    /// <summary>null unless the request asked for "logprobs": true (OpenAI writes the null).</summary>
    public ChoiceLogprobs? Logprobs { get; init; }

    /// <summary>null until the chunk that ends the answer (OpenAI writes the null).</summary>
    public string? FinishReason { get; init; }
}

/// <summary>What a chunk adds to the message: the role in the first, content in the others, nothing in the last.</summary>
public sealed record ChunkDelta
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Role { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Content { get; init; }
}

/// <summary>A chunk's "usage", which has three states on the wire: absent (include_usage not asked for), null (asked
/// for, not this chunk) and the usage (the last chunk). The default value is the absent one.</summary>
[JsonConverter(typeof(StreamUsageConverter))]
public readonly record struct StreamUsage(bool Included, Usage? Value)
{
    public static StreamUsage Pending => new(true, null);

    public static StreamUsage Of(Usage usage) => new(true, usage);
}

/// <summary>Writes <see cref="StreamUsage"/> as null or the usage object; the chunk omits the default.</summary>
public sealed class StreamUsageConverter : JsonConverter<StreamUsage>
{
    public override StreamUsage Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.Null ? StreamUsage.Pending
            : StreamUsage.Of(JsonSerializer.Deserialize(ref reader, ApiJsonContext.Default.Usage)!);

    public override void Write(Utf8JsonWriter writer, StreamUsage value, JsonSerializerOptions options)
    {
        if (value.Value is { } usage) JsonSerializer.Serialize(writer, usage, ApiJsonContext.Default.Usage);
        else writer.WriteNullValue();
    }

    public override bool HandleNull => true;
}
