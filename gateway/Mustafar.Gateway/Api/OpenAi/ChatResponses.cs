using Mustafar.Gateway.Pipeline;

namespace Mustafar.Gateway.Api.OpenAi;

/// <summary>What every chunk and the answer of one completion repeat: its id, creation time and model.</summary>
public sealed record CompletionHeader(string Id, long Created, string Model)
{
    public static CompletionHeader New(string model) =>
        new("chatcmpl-" + Guid.NewGuid().ToString("N"), DateTimeOffset.UtcNow.ToUnixTimeSeconds(), model);
}

/// <summary>The pipeline's answer in OpenAI's chat protocol: one <see cref="ChatCompletion"/>, or the stream's chunks.</summary>
public static class ChatResponses
{
    public static ChatCompletion Completion(CompletionHeader header, string answer, AnswerSummary done, IEnumerable<TokenLogProbability>? logprobs) => new()
    {
        Id = header.Id,
        Created = header.Created,
        Model = header.Model,
        Choices =
        [
            new ChatCompletionChoice
            {
                Message = new AssistantMessage { Content = answer },
                Logprobs = logprobs is null ? null : Logprobs(logprobs),
                FinishReason = FinishReason(done.FinishReason),
            },
        ],
        Usage = Usage(done),
        Mustafar = AnswerMetadata.Report(done),
    };

    /// <summary>As OpenAI streams: the role, the content deltas, a chunk with the finish reason (and Mustafar's
    /// metadata); with <paramref name="includeUsage"/> one more with "choices": [] and the usage, and "usage": null
    /// in all the others. With <paramref name="logprobs"/>, each content chunk's choice carries its tokens'
    /// log-probabilities; otherwise "logprobs": null, as OpenAI sends it. Then [DONE].</summary>
    public static async IAsyncEnumerable<ChatStreamEvent> StreamAsync(CompletionHeader header, IAsyncEnumerable<AnswerEvent> answer,
        bool includeUsage, bool logprobs)
    {
        var pending = includeUsage ? StreamUsage.Pending : default;
        ChatStreamEvent Chunk(ChunkChoice[] choices, StreamUsage usage, MustafarMetadata? mustafar = null) => new ChatStreamEvent.Chunk(new ChatCompletionChunk
        {
            Id = header.Id, Created = header.Created, Model = header.Model, Choices = choices, Usage = usage, Mustafar = mustafar,
        });

        yield return Chunk([new ChunkChoice { Delta = new ChunkDelta { Role = "assistant", Content = "" } }], pending);
        await foreach (var message in answer.ConfigureAwait(false))
        {
            switch (message)
            {
                case AnswerDelta delta:
                    yield return Chunk([new ChunkChoice { Delta = new ChunkDelta { Content = delta.Text }, Logprobs = logprobs ? Logprobs(delta.Logprobs) : null }], pending);
                    break;
                case AnswerDone { Summary: var done }:
                    yield return Chunk([new ChunkChoice { Delta = new ChunkDelta(), FinishReason = FinishReason(done.FinishReason) }], pending, AnswerMetadata.Report(done));
                    if (includeUsage) yield return Chunk([], StreamUsage.Of(Usage(done)));
                    break;
            }
        }
        yield return new ChatStreamEvent.Done();
    }

    public static Usage Usage(AnswerSummary done) => new() { PromptTokens = done.PromptTokens, CompletionTokens = done.CompletionTokens };

    /// <summary>OpenAI's finish_reason: "stop" for an end token or stop string, "length" for a token or context limit.</summary>
    public static string FinishReason(AnswerEnd reason) => reason is AnswerEnd.Length or AnswerEnd.ContextFull ? "length" : "stop";

    /// <summary>A choice's "logprobs", bytes as lists of integers as OpenAI writes them.</summary>
    public static ChoiceLogprobs Logprobs(IEnumerable<TokenLogProbability> tokens) => new()
    {
        Content =
        [
            .. tokens.Select(t => new TokenLogprob
            {
                Token = t.Token,
                Logprob = t.Logprob,
                Bytes = Bytes(t),
                TopLogprobs = [.. t.Alternatives.Select(a => new TopLogprob { Token = a.Token, Logprob = a.Logprob, Bytes = Bytes(a) })],
            }),
        ],
    };

    private static int[] Bytes(TokenLogProbability token) => [.. token.Bytes.ToArray().Select(b => (int)b)];
}
