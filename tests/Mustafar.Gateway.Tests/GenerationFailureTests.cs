using Grpc.Core;
using Mustafar.Gateway.TestServers;
using Mustafar.Contracts.Vqa.V1;

namespace Mustafar.Gateway.Tests;

/// <summary>A generator that fails: before any output the client gets a proper status; after output started, an
/// error event ends the stream, and the generation is never retried (no token is ever sent twice).</summary>
public sealed class GenerationFailureTests : IAsyncLifetime
{
    private TestMesh _mesh = null!;

    public async Task InitializeAsync() => _mesh = await TestMesh.StartAsync(new TestMeshOptions { WithRedis = false });

    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    [Fact]
    public async Task A_failure_after_tokens_ends_the_sse_stream_with_an_error_event_and_is_not_retried()
    {
        _mesh.Generator.FailAfterDeltas = 2;
        var calls0 = _mesh.Generator.GenerateCalls;
        using var response = await ChatApi.PostAsync(_mesh.Gateway.Http, ChatApi.Request(TestImages.DataUrl(TestImages.Unique()), "Q?", stream: true));
        var events = ChatApi.SseEvents(await response.Content.ReadAsStringAsync());

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("[DONE]", events[^1]);
        var error = System.Text.Json.JsonDocument.Parse(events[^2]).RootElement.GetProperty("error");
        Assert.Equal("service_unavailable_error", error.GetProperty("type").GetString());
        Assert.StartsWith("the generator stopped in the middle of the answer", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(3, events.Count(e => e.Contains("chat.completion.chunk", StringComparison.Ordinal))); // role chunk + 2 deltas
        Assert.Equal(calls0 + 1, _mesh.Generator.GenerateCalls);
    }

    [Fact]
    public async Task A_failure_after_tokens_ends_the_grpc_stream_with_its_status()
    {
        _mesh.Generator.FailAfterDeltas = 1;
        var calls0 = _mesh.Generator.GenerateCalls;
        using var call = _mesh.Gateway.Vqa.Ask(new AskRequest { Image = Google.Protobuf.ByteString.CopyFrom(TestImages.Unique()), Question = "Q?" });
        var deltas = 0;
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var message in call.ResponseStream.ReadAllAsync()) deltas += message.EventCase == AskResponse.EventOneofCase.Delta ? 1 : 0;
        });
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.StartsWith("the generator stopped in the middle of the answer, which is incomplete: ", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(1, deltas);
        Assert.Equal(calls0 + 1, _mesh.Generator.GenerateCalls);
    }

    [Fact]
    public async Task A_failure_before_any_token_is_a_503_json_error()
    {
        _mesh.Generator.FailAfterDeltas = 0;
        using var response = await ChatApi.PostAsync(_mesh.Gateway.Http, ChatApi.Request(TestImages.DataUrl(TestImages.Unique()), "Q?", stream: true));
        var error = await ChatApi.ErrorAsync(response, 503);
        Assert.Equal("service_unavailable", error.GetProperty("code").GetString());
    }
}
