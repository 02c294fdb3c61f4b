using System.Diagnostics;
using Prometheus;

namespace Mustafar.Generator;

/// <summary>
/// The generation series under the names vLLM's server exports (with a <c>mustafar_</c> prefix), which operators'
/// dashboards and autoscalers look for, beside the Serving runtime's own series in the same registry: time to first
/// token from the call's arrival (queueing included), the time between output tokens, the whole request, prompt and
/// generated tokens, and the sequences running and waiting in the continuous batch (read when scraped).
/// </summary>
public sealed class GenerationMetrics
{
    public const string TimeToFirstToken = "mustafar_time_to_first_token_seconds";
    public const string TimePerOutputToken = "mustafar_time_per_output_token_seconds";
    public const string EndToEndLatency = "mustafar_e2e_request_latency_seconds";
    public const string PromptTokens = "mustafar_prompt_tokens_total";
    public const string GenerationTokens = "mustafar_generation_tokens_total";
    public const string RequestsRunning = "mustafar_num_requests_running";
    public const string RequestsWaiting = "mustafar_num_requests_waiting";

    // vLLM's bucket edges, so that dashboards written for it read these the same way.
    private static readonly double[] FirstTokenBuckets = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80, 160, 640, 2560];
    private static readonly double[] OutputTokenBuckets = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80];
    private static readonly double[] RequestBuckets = [0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680];

    private readonly Histogram _firstToken;
    private readonly Histogram _perOutputToken;
    private readonly Histogram _endToEnd;
    private readonly Counter _promptTokens;
    private readonly Counter _generationTokens;

    public GenerationMetrics(CollectorRegistry registry, string modelId, Func<int> running, Func<int> waiting)
    {
        var factory = Metrics.WithCustomRegistry(registry).WithLabels(new Dictionary<string, string> { ["model"] = modelId });
        _firstToken = factory.CreateHistogram(TimeToFirstToken, "Seconds from a Generate call's arrival to its first token.",
            new HistogramConfiguration { Buckets = FirstTokenBuckets });
        _perOutputToken = factory.CreateHistogram(TimePerOutputToken, "Seconds between consecutive output tokens of a sequence.",
            new HistogramConfiguration { Buckets = OutputTokenBuckets });
        _endToEnd = factory.CreateHistogram(EndToEndLatency, "Seconds from a Generate call's arrival to its last token.",
            new HistogramConfiguration { Buckets = RequestBuckets });
        _promptTokens = factory.CreateCounter(PromptTokens, "Prompt tokens prefilled (image tokens included).");
        _generationTokens = factory.CreateCounter(GenerationTokens, "Tokens generated.");
        var runningGauge = factory.CreateGauge(RequestsRunning, "Sequences in the continuous batch now.");
        var waitingGauge = factory.CreateGauge(RequestsWaiting, "Sequences waiting to join the continuous batch.");
        registry.AddBeforeCollectCallback(() =>
        {
            runningGauge.Set(running());
            waitingGauge.Set(waiting());
        });
    }

    /// <summary>One call's clock: started at its arrival, fed each step's token count, ended with its usage.</summary>
    public Call Start() => new(this);

    public sealed class Call(GenerationMetrics metrics)
    {
        private readonly long _arrived = Stopwatch.GetTimestamp();
        private long _lastToken;
        private int _tokens;

        public void Stepped(int completionTokens)
        {
            if (completionTokens <= _tokens) return;
            var now = Stopwatch.GetTimestamp();
            if (_tokens == 0) metrics._firstToken.Observe(Stopwatch.GetElapsedTime(_arrived, now).TotalSeconds);
            else metrics._perOutputToken.Observe(Stopwatch.GetElapsedTime(_lastToken, now).TotalSeconds / (completionTokens - _tokens));
            (_lastToken, _tokens) = (now, completionTokens);
        }

        public void Finished(int promptTokens, int completionTokens)
        {
            metrics._endToEnd.Observe(Stopwatch.GetElapsedTime(_arrived).TotalSeconds);
            metrics._promptTokens.Inc(promptTokens);
            metrics._generationTokens.Inc(completionTokens);
        }
    }
}
