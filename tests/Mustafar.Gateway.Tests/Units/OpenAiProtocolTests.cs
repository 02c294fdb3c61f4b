using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Mustafar.Gateway.Api;
using Mustafar.Gateway.Api.OpenAi;
using Mustafar.Gateway.Pipeline;

namespace Mustafar.Gateway.Tests.Units;

/// <summary>The typed OpenAI protocol against the JSON shapes OpenAI documents for chat completions
/// (https://platform.openai.com/docs/api-reference/chat): field names, which nulls are written and which fields are
/// left out, and that a documented body reads into the records and writes back the same.</summary>
public sealed class OpenAiProtocolTests
{
    private static readonly CompletionHeader Header = new("chatcmpl-123", 1694268190, "mustafar-demo");

    private static readonly AnswerSummary Done = new()
    {
        ImageId = "ab12", Model = "mustafar-demo", FinishReason = AnswerEnd.EndOfSequence, PromptTokens = 9, CompletionTokens = 12,
        Timings = new AnswerTimings { DecodeImageMs = 1, ClipMs = 2, TimeToFirstTokenMs = 3, GenerateMs = 4, TotalMs = 5 },
    };

    private const string Metadata = """
        {"image_id": "ab12", "model": "mustafar-demo", "cache": {"clip": "not_used", "diffusion_conditional": "not_used", "diffusion_unconditional": "not_used"},
         "diffusion": null, "timings": {"decode_image_ms": 1, "clip_ms": 2, "diffusion_ms": 0, "time_to_first_token_ms": 3, "generate_ms": 4, "total_ms": 5}}
        """;

    private static void AssertJson(string expected, string actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), JsonNode.Parse(actual)), $"expected {expected}\nactual   {actual}");

    private static TokenLogProbability Token(string text, float logprob, params TokenLogProbability[] alternatives) =>
        new(0, text, Encoding.UTF8.GetBytes(text), logprob, alternatives);

    [Fact]
    public void A_completion_has_OpenAIs_fields_with_logprobs_null_unless_asked_for()
    {
        var completion = ChatResponses.Completion(Header, "Hello there", Done, logprobs: null);
        AssertJson($$"""
            {"id": "chatcmpl-123", "object": "chat.completion", "created": 1694268190, "model": "mustafar-demo",
             "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello there"}, "logprobs": null, "finish_reason": "stop"}],
             "usage": {"prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21},
             "mustafar": {{Metadata}}}
            """, JsonSerializer.Serialize(completion, ApiJsonContext.Default.ChatCompletion));
    }

    [Fact]
    public void Logprobs_carry_bytes_as_integers_and_the_alternatives_and_a_null_refusal()
    {
        var choice = new ChunkChoice { Delta = new ChunkDelta { Content = "é" }, Logprobs = ChatResponses.Logprobs([Token("é", -0.5f, Token("e", -1.5f))]) };
        AssertJson("""
            {"index": 0, "delta": {"content": "é"}, "finish_reason": null,
             "logprobs": {"content": [{"token": "é", "logprob": -0.5, "bytes": [195, 169], "top_logprobs": [{"token": "e", "logprob": -1.5, "bytes": [101]}]}],
                          "refusal": null}}
            """, JsonSerializer.Serialize(choice, ApiJsonContext.Default.ChunkChoice));
    }

    [Fact]
    public async Task A_stream_is_role_then_content_then_finish_then_DONE_without_usage_unless_asked_for()
    {
        var events = await ChunksAsync(includeUsage: false);
        Assert.Equal(4, events.Count);
        AssertJson("""
            {"id": "chatcmpl-123", "object": "chat.completion.chunk", "created": 1694268190, "model": "mustafar-demo",
             "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": null, "finish_reason": null}]}
            """, events[0]);
        AssertJson("""
            {"id": "chatcmpl-123", "object": "chat.completion.chunk", "created": 1694268190, "model": "mustafar-demo",
             "choices": [{"index": 0, "delta": {"content": "Hi"}, "logprobs": null, "finish_reason": null}]}
            """, events[1]);
        AssertJson($$"""
            {"id": "chatcmpl-123", "object": "chat.completion.chunk", "created": 1694268190, "model": "mustafar-demo",
             "choices": [{"index": 0, "delta": {}, "logprobs": null, "finish_reason": "stop"}], "mustafar": {{Metadata}}}
            """, events[2]);
        Assert.Equal("[DONE]", events[3]);
    }

    [Fact]
    public async Task With_include_usage_every_chunk_has_usage_null_and_one_more_chunk_has_no_choices_and_the_usage()
    {
        var events = await ChunksAsync(includeUsage: true);
        Assert.Equal(5, events.Count);
        foreach (var chunk in events.Take(3))
            Assert.Equal(JsonValueKind.Null, JsonDocument.Parse(chunk).RootElement.GetProperty("usage").ValueKind);
        AssertJson("""
            {"id": "chatcmpl-123", "object": "chat.completion.chunk", "created": 1694268190, "model": "mustafar-demo", "choices": [],
             "usage": {"prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21}}
            """, events[3]);
        Assert.Equal("[DONE]", events[4]);
    }

    [Fact]
    public async Task A_failure_after_the_stream_began_is_an_error_event_then_DONE()
    {
        var context = new DefaultHttpContext();
        context.Response.Body = new MemoryStream();
        await ChatStream.WriteFailureAsync(context.Response, ErrorResponses.Body(new GatewayError(ErrorKind.Unavailable, "down", null, "service_unavailable")),
            CancellationToken.None);
        Assert.Equal("""
            data: {"error":{"message":"down","type":"service_unavailable_error","param":null,"code":"service_unavailable"}}

            data: [DONE]


            """.ReplaceLineEndings("\n"), Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray()));
    }

    [Fact]
    public void A_documented_chunk_reads_into_the_records_and_writes_back_the_same()
    {
        const string documented = """
            {"id": "chatcmpl-123", "object": "chat.completion.chunk", "created": 1694268190, "model": "gpt-4o-mini",
             "choices": [{"index": 0, "delta": {"content": "Hello"}, "logprobs": null, "finish_reason": null}], "usage": null}
            """;
        var chunk = JsonSerializer.Deserialize(documented, ApiJsonContext.Default.ChatCompletionChunk)!;
        Assert.Equal(StreamUsage.Pending, chunk.Usage);
        AssertJson(documented, JsonSerializer.Serialize(chunk, ApiJsonContext.Default.ChatCompletionChunk));

        const string last = """
            {"id": "chatcmpl-123", "object": "chat.completion.chunk", "created": 1694268190, "model": "gpt-4o-mini", "choices": [],
             "usage": {"prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21}}
            """;
        AssertJson(last, JsonSerializer.Serialize(JsonSerializer.Deserialize(last, ApiJsonContext.Default.ChatCompletionChunk)!,
            ApiJsonContext.Default.ChatCompletionChunk));
    }

    [Fact]
    public void A_documented_request_reads_every_field_and_keeps_unknown_ones_for_the_ignored_field_log()
    {
        var request = JsonSerializer.Deserialize("""
            {"model": "gpt-4o", "messages": [{"role": "user", "content": [{"type": "text", "text": "What's in this image?"},
               {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]}],
             "max_completion_tokens": 300, "temperature": 0.5, "top_p": 0.9, "seed": 7, "stop": ["\n"], "n": 1, "stream": true,
             "stream_options": {"include_usage": true}, "logprobs": true, "top_logprobs": 2, "frequency_penalty": 0.5, "presence_penalty": -0.5,
             "logit_bias": {"50256": -100}, "user": "u1", "store": false, "metadata": {"a": "b"}}
            """, ApiJsonContext.Default.ChatCompletionRequest)!;
        Assert.Equal(("gpt-4o", 300, 0.5f, 0.9f, 7L, 1, true, true), (request.Model, request.MaxCompletionTokens, request.Temperature, request.TopP,
            request.Seed, request.N, request.Stream, request.StreamOptions!.IncludeUsage));
        Assert.Equal((true, 2, 0.5f, -0.5f, -100f, "u1"), (request.Logprobs, request.TopLogprobs, request.FrequencyPenalty, request.PresencePenalty,
            request.LogitBias!["50256"], request.User));
        Assert.Equal(JsonValueKind.Array, request.Messages![0].Content.ValueKind);
        Assert.Equal(["metadata", "store"], request.Ignored!.Keys.Order());
    }

    [Fact]
    public void An_error_writes_param_and_code_even_when_null()
    {
        var body = ErrorResponses.Body(new GatewayError(ErrorKind.InvalidInput, "bad", null, null));
        AssertJson("""{"error": {"message": "bad", "type": "invalid_request_error", "param": null, "code": null}}""",
            JsonSerializer.Serialize(body, ApiJsonContext.Default.ErrorResponse));
    }

    [Fact]
    public void The_model_list_is_OpenAIs()
    {
        AssertJson("""{"object": "list", "data": [{"id": "m", "object": "model", "created": 0, "owned_by": "mustafar"}]}""",
            JsonSerializer.Serialize(new ModelList([new ModelCard("m")]), ApiJsonContext.Default.ModelList));
    }

    /// <summary>The "data:" payloads of a stream of one delta ("Hi"), as they go on the wire.</summary>
    private static async Task<List<string>> ChunksAsync(bool includeUsage)
    {
        var context = new DefaultHttpContext();
        context.Response.Body = new MemoryStream();
        await ChatStream.WriteAsync(context.Response, ChatResponses.StreamAsync(Header, Answer(), includeUsage, logprobs: false), CancellationToken.None);
        var wire = Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray());
        Assert.EndsWith("\n\n", wire, StringComparison.Ordinal);
        return [.. wire.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => Assert.Single(e.Split('\n')))
            .Select(line => line.StartsWith("data: ", StringComparison.Ordinal) ? line["data: ".Length..] : throw new Xunit.Sdk.XunitException(line))];
    }

    private static async IAsyncEnumerable<AnswerEvent> Answer()
    {
        yield return new AnswerDelta("Hi", 1, []);
        await Task.Yield();
        yield return new AnswerDone(Done);
    }
}
