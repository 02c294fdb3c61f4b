using System.Buffers;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Mustafar.Gateway.Api.OpenAi;

/// <summary>One event of an OpenAI stream: a chunk, an error after the stream began, or the closing "[DONE]".</summary>
public abstract record ChatStreamEvent
{
    public sealed record Chunk(ChatCompletionChunk Value) : ChatStreamEvent;

    public sealed record Failure(ErrorResponse Value) : ChatStreamEvent;

    /// <summary>"data: [DONE]", OpenAI's end of stream, which its SDKs wait for.</summary>
    public sealed record Done : ChatStreamEvent;
}

/// <summary>Writes <see cref="ChatStreamEvent"/>s as server-sent events (<see cref="SseFormatter"/>), each chunk's
/// JSON by <see cref="ApiJsonContext"/>. Kestrel sends every write at once, so each event leaves when it is made.</summary>
public static class ChatStream
{
    public static async Task WriteAsync(HttpResponse response, IAsyncEnumerable<ChatStreamEvent> events, CancellationToken cancellationToken)
    {
        await SseFormatter.WriteAsync(Items(events, cancellationToken), response.Body, Format, cancellationToken).ConfigureAwait(false);
        await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The events of a stream that failed after it began: the error, then [DONE].</summary>
    public static Task WriteFailureAsync(HttpResponse response, ErrorResponse error, CancellationToken cancellationToken) =>
        WriteAsync(response, Events([new ChatStreamEvent.Failure(error), new ChatStreamEvent.Done()]), cancellationToken);

    private static async IAsyncEnumerable<SseItem<ChatStreamEvent>> Items(IAsyncEnumerable<ChatStreamEvent> events,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var item in events.WithCancellation(cancellationToken).ConfigureAwait(false))
            yield return new SseItem<ChatStreamEvent>(item);
    }

    private static async IAsyncEnumerable<ChatStreamEvent> Events(IEnumerable<ChatStreamEvent> events)
    {
        foreach (var item in events) yield return item;
        await Task.CompletedTask.ConfigureAwait(false);
    }

    private static void Format(SseItem<ChatStreamEvent> item, IBufferWriter<byte> buffer)
    {
        if (item.Data is ChatStreamEvent.Done)
        {
            buffer.Write("[DONE]"u8);
            return;
        }
        using var json = new Utf8JsonWriter(buffer);
        switch (item.Data)
        {
            case ChatStreamEvent.Chunk chunk:
                JsonSerializer.Serialize(json, chunk.Value, ApiJsonContext.Default.ChatCompletionChunk);
                break;
            case ChatStreamEvent.Failure failure:
                JsonSerializer.Serialize(json, failure.Value, ApiJsonContext.Default.ErrorResponse);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(item), item.Data?.GetType().Name, "not a chat stream event");
        }
    }
}
