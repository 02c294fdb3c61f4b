using Mustafar.Gateway.Clients;
using Mustafar.Gateway.Observability;
using Mustafar.Contracts.Generation.V1;
using Mustafar.Contracts.Vqa.V1;

namespace Mustafar.Gateway.Pipeline;

/// <summary>A question whose features are in and whose generation has started. Read it to the end with
/// <see cref="ReadAsync"/>; disposing it early cancels the generation.</summary>
public sealed class VqaRun(GenerationStream stream, AnswerSummary summary, StageClock clock, double generateStartedMs, GatewayMetrics metrics) : IDisposable
{
    /// <summary>What is known before any token: image id, model, cache statuses, diffusion settings, timings so far.</summary>
    public AnswerSummary Summary { get; } = summary;

    /// <summary>Deltas, then exactly one <see cref="AnswerDone"/> with usage and every timing.</summary>
    public async IAsyncEnumerable<AnswerEvent> ReadAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        double? timeToFirstTokenMs = null;
        while (await stream.NextAsync(cancellationToken).ConfigureAwait(false) is { } message)
        {
            if (message.EventCase == GenerateResponse.EventOneofCase.Delta)
            {
                timeToFirstTokenMs ??= clock.ElapsedMs;
                yield return GatewayProtoMapping.ToDomain(message.Delta);
                continue;
            }
            if (message.EventCase != GenerateResponse.EventOneofCase.Done) continue;

            var done = message.Done;
            var totalMs = clock.ElapsedMs;
            var result = Summary with
            {
                FinishReason = GatewayProtoMapping.ToDomain(done.FinishReason),
                PromptTokens = done.PromptTokens,
                CompletionTokens = done.CompletionTokens,
                Timings = Summary.Timings with
                {
                    TimeToFirstTokenMs = timeToFirstTokenMs ?? totalMs,
                    GenerateMs = totalMs - generateStartedMs,
                    TotalMs = totalMs,
                },
            };
            Observe(result.Timings);
            yield return new AnswerDone(result);
            yield break;
        }
        throw new GatewayException(ErrorKind.BadUpstream, "the generator's stream ended without its final message");
    }

    private void Observe(AnswerTimings t)
    {
        metrics.StageSeconds.WithLabels("decode_image").Observe(t.DecodeImageMs / 1000);
        if (Summary.ClipCache != CacheOutcome.NotUsed) metrics.StageSeconds.WithLabels("clip").Observe(t.ClipMs / 1000);
        if (Summary.DiffusionUnconditionalCache != CacheOutcome.NotUsed || Summary.DiffusionConditionalCache != CacheOutcome.NotUsed)
            metrics.StageSeconds.WithLabels("diffusion").Observe(t.DiffusionMs / 1000);
        metrics.StageSeconds.WithLabels("time_to_first_token").Observe(t.TimeToFirstTokenMs / 1000);
        metrics.StageSeconds.WithLabels("generate").Observe(t.GenerateMs / 1000);
    }

    public void Dispose() => stream.Dispose();
}
