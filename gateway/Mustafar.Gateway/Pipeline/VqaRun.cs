using Mustafar.Gateway.Clients;
using Mustafar.Gateway.Observability;
using Mustafar.Generation.V1;
using Mustafar.Vqa.V1;

namespace Mustafar.Gateway.Pipeline;

/// <summary>A question whose features are in and whose generation has started. Read it to the end with
/// <see cref="ReadAsync"/>; disposing it early cancels the generation.</summary>
public sealed class VqaRun(GenerationStream stream, AskResult summary, StageClock clock, double generateStartedMs, GatewayMetrics metrics) : IDisposable
{
    /// <summary>What is known before any token: image id, model, cache statuses, diffusion settings, timings so far.</summary>
    public AskResult Summary { get; } = summary;

    /// <summary>Deltas, then exactly one final message with usage and every timing.</summary>
    public async IAsyncEnumerable<AskResponse> ReadAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var timings = Summary.Timings;
        while (await stream.NextAsync(cancellationToken).ConfigureAwait(false) is { } message)
        {
            if (message.EventCase == GenerateResponse.EventOneofCase.Delta)
            {
                if (timings.TimeToFirstTokenMs == 0) timings.TimeToFirstTokenMs = clock.ElapsedMs;
                yield return new AskResponse { Delta = message.Delta };
                continue;
            }
            if (message.EventCase != GenerateResponse.EventOneofCase.Done) continue;

            var done = message.Done;
            timings.GenerateMs = clock.ElapsedMs - generateStartedMs;
            timings.TotalMs = clock.ElapsedMs;
            if (timings.TimeToFirstTokenMs == 0) timings.TimeToFirstTokenMs = timings.TotalMs;
            var result = Summary.Clone();
            result.FinishReason = done.FinishReason;
            result.PromptTokens = done.PromptTokens;
            result.CompletionTokens = done.CompletionTokens;
            Observe(result.Timings);
            yield return new AskResponse { Done = result };
            yield break;
        }
        throw new GatewayException(ErrorKind.BadUpstream, "the generator's stream ended without its final message");
    }

    private void Observe(StageTimings t)
    {
        metrics.StageSeconds.WithLabels("decode_image").Observe(t.DecodeImageMs / 1000);
        if (Summary.ClipCache != CacheStatus.NotUsed) metrics.StageSeconds.WithLabels("clip").Observe(t.ClipMs / 1000);
        if (Summary.DiffusionUnconditionalCache != CacheStatus.NotUsed || Summary.DiffusionConditionalCache != CacheStatus.NotUsed)
            metrics.StageSeconds.WithLabels("diffusion").Observe(t.DiffusionMs / 1000);
        metrics.StageSeconds.WithLabels("time_to_first_token").Observe(t.TimeToFirstTokenMs / 1000);
        metrics.StageSeconds.WithLabels("generate").Observe(t.GenerateMs / 1000);
    }

    public void Dispose() => stream.Dispose();
}
