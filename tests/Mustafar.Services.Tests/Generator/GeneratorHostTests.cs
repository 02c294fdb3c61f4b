using System.Net;
using Grpc.Core;
using Mustafar.Contracts.Generation.V1;
using Mustafar.Generator;
using Mustafar.Models.Generation;
using Mustafar.Services.Tests.Host;
using Grpc.Health.V1;

namespace Mustafar.Services.Tests.Generator;

/// <summary>Generator hosts of their own: continuous batching under concurrent clients, joins at step boundaries,
/// cancellation between tokens, and health while loading. The inference thread is held between decode steps by
/// queueing a blocking work item on it, so that what happens at a boundary does not depend on machine speed.</summary>
public sealed class GeneratorHostTests : IClassFixture<DirectGenerator>
{
    private readonly GeneratorModel _direct;

    public GeneratorHostTests(DirectGenerator fixture) => _direct = fixture.Model;

    private static Task<ServiceHost<GeneratorService, GeneratorModel>> StartAsync(int maxBatchSize = 8) =>
        ServiceHost<GeneratorService, GeneratorModel>.StartServingAsync(HostCheckpoints.Generator, GeneratorService.Loader, GeneratorHostFixture.Settings(maxBatchSize));

    private static async Task<double> MetricAsync(ServiceHost<GeneratorService, GeneratorModel> host, string series) =>
        PrometheusText.Value(await host.MetricsAsync(), series, "queue=\"generate\"");

    /// <summary>A work item that blocks the inference thread, queued behind what is queued now, until released.</summary>
    private sealed class Blocker
    {
        private readonly ManualResetEventSlim _gate = new(false);
        private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Blocker(ServiceHost<GeneratorService, GeneratorModel> host) => Done = host.Runtime.Thread.RunAsync(() =>
        {
            _started.SetResult();
            if (!_gate.Wait(Eventually.Patience)) throw new TimeoutException("the test never released the inference thread");
        });

        public Task Started => _started.Task.WaitAsync(Eventually.Patience);
        public Task Done { get; }

        public async Task ReleaseAsync()
        {
            _gate.Set();
            await Done.WaitAsync(Eventually.Patience);
            _gate.Dispose();
        }
    }

    /// <summary>Starts <paramref name="conversation"/> and returns with the inference thread held right after the
    /// step boundary at which it joined: it has been prefilled and decoded once (two tokens) and nothing more runs
    /// until the returned blocker is released.</summary>
    private async Task<(AsyncServerStreamingCall<GenerateResponse> Call, Blocker Held)> StartHeldAsync(ServiceHost<GeneratorService, GeneratorModel> host,
        Conversation conversation, CancellationToken cancellation = default)
    {
        var client = new Contracts.Generation.V1.Generator.GeneratorClient(host.Channel);
        var first = new Blocker(host);
        await first.Started;
        var call = client.Generate(conversation.ToProto(_direct), deadline: ServiceHost<GeneratorService, GeneratorModel>.Deadline, cancellationToken: cancellation);
        // The scheduler's step for the newcomer is queued behind the first blocker; the second blocker goes after it.
        await Eventually.TrueAsync(() => host.Runtime.Thread.Pending == 1, "the newcomer's step is queued");
        var second = new Blocker(host);
        await first.ReleaseAsync();
        await second.Started;
        return (call, second);
    }

    [Fact]
    public async Task Sixteen_concurrent_clients_stream_their_own_answers_from_shared_decode_steps()
    {
        await using var host = await StartAsync();
        var client = new Contracts.Generation.V1.Generator.GeneratorClient(host.Channel);
        var conversations = Enumerable.Range(0, 16).Select(i => new Conversation(
            $"Question {i}: what do you see?", FeatureSeed: i % 4 == 3 ? 0 : 100 + i, Sampling: Conversation.Greedy(8 + i % 5))).ToArray();
        using var start = new ManualResetEventSlim();
        var calls = conversations.Select(c => Task.Run(async () =>
        {
            start.Wait(Eventually.Patience);
            return await Streamed.ReadAsync(client, c.ToProto(_direct));
        })).ToArray();
        start.Set();
        var streamed = await Task.WhenAll(calls);

        for (var i = 0; i < 16; i++)
        {
            var (text, result) = conversations[i].Direct(_direct);
            Assert.Equal(text, streamed[i].Text);
            Assert.Equal(result.CompletionTokens, streamed[i].Done.CompletionTokens);
        }
        var steps = await MetricAsync(host, "mustafar_batch_size_count");
        var rows = await MetricAsync(host, "mustafar_batch_size_sum");
        Assert.True(rows / steps > 1, $"{rows} sequence-steps in {steps} decode steps");
        Assert.Equal(streamed.Sum(s => s.Done.CompletionTokens), await MetricAsync(host, "mustafar_generated_tokens_total"));
    }

    [Fact]
    public async Task A_request_joins_a_running_batch_at_a_step_boundary()
    {
        await using var host = await StartAsync();
        var client = new Contracts.Generation.V1.Generator.GeneratorClient(host.Channel);
        var first = new Conversation("Tell me a long story about this picture.", FeatureSeed: 21, Sampling: Conversation.Greedy(GeneratorHostFixture.MaxNewTokens));
        var second = new Conversation("And what is in the corner?", FeatureSeed: 22, Sampling: Conversation.Greedy(6));
        var (firstText, firstResult) = first.Direct(_direct);
        Assert.True(firstResult.CompletionTokens > 10, $"the first answer ends after {firstResult.CompletionTokens} tokens; pick a longer one");

        var (firstCall, held) = await StartHeldAsync(host, first);
        using var _ = firstCall;
        Assert.Equal(2, await MetricAsync(host, "mustafar_generated_tokens_total"));
        var secondStream = Task.Run(() => Streamed.ReadAsync(client, second.ToProto(_direct)));
        await Eventually.TrueAsync(() => host.Runtime.Thread.Pending == 1 && MetricAsync(host, "mustafar_queue_depth").GetAwaiter().GetResult() == 1,
            "the second request waits to join at the next boundary");
        Assert.Equal(0, PrometheusText.Value(await host.MetricsAsync(), "mustafar_batch_size_bucket", "le=\"1\"") - await MetricAsync(host, "mustafar_batch_size_count"));
        await held.ReleaseAsync();

        var secondStreamed = await secondStream;
        var firstStreamed = "";
        while (await firstCall.ResponseStream.MoveNext(CancellationToken.None))
            if (firstCall.ResponseStream.Current.EventCase == GenerateResponse.EventOneofCase.Delta) firstStreamed += firstCall.ResponseStream.Current.Delta.Text;

        Assert.Equal(second.Direct(_direct).Text, secondStreamed.Text);
        Assert.Equal(firstText, firstStreamed);
        // The newcomer was decoded beside the running sequence: steps of two sequences after the boundary.
        var metrics = await host.MetricsAsync();
        Assert.True(PrometheusText.Value(metrics, "mustafar_batch_size_bucket", "le=\"1\"") < PrometheusText.Value(metrics, "mustafar_batch_size_count"),
            "no decode step ran two sequences");
    }

    [Fact]
    public async Task Cancelling_a_generation_stops_it_at_the_next_token_boundary()
    {
        await using var host = await StartAsync();
        var client = new Contracts.Generation.V1.Generator.GeneratorClient(host.Channel);
        var conversation = new Conversation("Tell me a long story about this picture.", FeatureSeed: 21, Sampling: Conversation.Greedy(GeneratorHostFixture.MaxNewTokens));
        var uncancelled = conversation.Direct(_direct).Result.CompletionTokens;
        Assert.True(uncancelled > 10, $"the answer ends after {uncancelled} tokens by itself; pick a longer one");

        using var cancellation = new CancellationTokenSource();
        var (call, held) = await StartHeldAsync(host, conversation, cancellation.Token);
        using var _ = call;
        Assert.Equal(2, await MetricAsync(host, "mustafar_generated_tokens_total"));
        cancellation.Cancel();
        // The service has seen the cancellation once the call has left it.
        await Eventually.TrueAsync(() => host.Runtime.Status.InFlight == 0, "the cancelled call left the service");
        await held.ReleaseAsync();
        await Eventually.TrueAsync(() => MetricAsync(host, "mustafar_active_sequences").GetAwaiter().GetResult() == 0, "the sequence left the batch");

        // Not one token after the cancellation, of an answer that would have gone on.
        Assert.Equal(2, await MetricAsync(host, "mustafar_generated_tokens_total"));
        var error = await Assert.ThrowsAsync<RpcException>(async () => { while (await call.ResponseStream.MoveNext(CancellationToken.None)) { } });
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);

        var after = await Streamed.ReadAsync(client, new Conversation("Still there?", Sampling: Conversation.Greedy(3)).ToProto(_direct));
        Assert.InRange(after.Done.CompletionTokens, 1, 3);
    }

    [Fact]
    public async Task Health_is_not_serving_until_the_model_has_loaded_then_serving()
    {
        using var gate = new ManualResetEventSlim(false);
        await using var host = await ServiceHost<GeneratorService, GeneratorModel>.StartAsync(HostCheckpoints.Generator, ServiceHost<GeneratorService, GeneratorModel>.Gated(GeneratorService.Loader, gate),
            GeneratorHostFixture.Settings());
        var client = new Contracts.Generation.V1.Generator.GeneratorClient(host.Channel);
        var request = new Conversation("Hello?", Sampling: Conversation.Greedy(2)).ToProto(_direct);

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, await host.HealthAsync());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, await host.HealthAsync("mustafar.generation.v1.Generator"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await host.GetStatusAsync("/readyz"));
        var early = await Assert.ThrowsAsync<RpcException>(() => Streamed.ReadAsync(client, request));
        Assert.Equal(StatusCode.Unavailable, early.StatusCode);

        gate.Set();
        await host.WaitUntilServingAsync();
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await host.HealthAsync("mustafar.generation.v1.Generator"));
        Assert.Equal(HttpStatusCode.OK, await host.GetStatusAsync("/readyz"));
        Assert.InRange((await Streamed.ReadAsync(client, request)).Done.CompletionTokens, 1, 2);
    }
}

/// <summary>The generator checkpoint loaded directly, once for the class.</summary>
public sealed class DirectGenerator : IDisposable
{
    public GeneratorModel Model { get; } = GeneratorHostFixture.LoadDirect();

    public void Dispose() => Model.Dispose();
}
