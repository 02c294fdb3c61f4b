using Grpc.Core;
using Mustafar.Models.KernelChecks;
using Prometheus;
using TorchSharp;

namespace Mustafar.Serving;

/// <summary>
/// The Prometheus series a model host exports on /metrics. Each host has its own registry (several hosts can
/// share a test process), and every series carries the model id as a constant label.
/// Tokens per second is <c>rate(mustafar_generated_tokens_total[1m])</c>.
/// </summary>
public sealed class ServingMetrics
{
    public const string RequestsTotal = "mustafar_requests_total";
    public const string RequestDuration = "mustafar_request_duration_seconds";
    public const string InFlightRequests = "mustafar_inflight_requests";
    public const string QueueDepth = "mustafar_queue_depth";
    public const string ActiveSequences = "mustafar_active_sequences";
    public const string BatchSize = "mustafar_batch_size";
    public const string QueueWait = "mustafar_queue_wait_seconds";
    public const string QueueExpired = "mustafar_queue_expired_total";
    public const string ComputeTime = "mustafar_compute_seconds";
    public const string GeneratedTokens = "mustafar_generated_tokens_total";
    public const string ModelLoad = "mustafar_model_load_seconds";
    public const string ModelWarmUp = "mustafar_model_warmup_seconds";
    public const string ModelReady = "mustafar_model_ready";
    public const string LiveTensors = "mustafar_torch_live_tensors";
    public const string KernelSelfCheckShapes = "mustafar_kernel_selfcheck_shapes";
    public const string KernelSelfCheckDuration = "mustafar_kernel_selfcheck_seconds";
    public const string BatchCap = "mustafar_batch_cap";

    /// <summary>Every series name above, for tests and dashboards.</summary>
    public static IReadOnlyList<string> SeriesNames { get; } =
    [
        RequestsTotal, RequestDuration, InFlightRequests, QueueDepth, ActiveSequences, BatchSize, QueueWait, QueueExpired,
        ComputeTime, GeneratedTokens, ModelLoad, ModelWarmUp, ModelReady, LiveTensors, KernelSelfCheckShapes, KernelSelfCheckDuration,
        BatchCap,
    ];

    private static readonly double[] LatencyBuckets = Histogram.ExponentialBuckets(0.0005, 2, 18); // 0.5 ms .. ~65 s
    private static readonly double[] BatchBuckets = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 256];

    private readonly Counter _requests;
    private readonly Histogram _requestDuration;
    private readonly Gauge _inFlight;
    private readonly Gauge _queueDepth;
    private readonly Gauge _activeSequences;
    private readonly Histogram _batchSize;
    private readonly Histogram _queueWait;
    private readonly Counter _queueExpired;
    private readonly Histogram _computeTime;
    private readonly Counter _generatedTokens;
    private readonly Gauge _modelLoad;
    private readonly Gauge _modelWarmUp;
    private readonly Gauge _modelReady;
    private readonly Gauge _kernelSelfCheckShapes;
    private readonly Gauge _kernelSelfCheckDuration;
    private readonly Gauge _batchCap;

    public ServingMetrics(string modelId)
    {
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry).WithLabels(new Dictionary<string, string> { ["model"] = modelId });
        _requests = factory.CreateCounter(RequestsTotal, "gRPC calls to the model service by method and status code.", ["method", "code"]);
        _requestDuration = factory.CreateHistogram(RequestDuration, "gRPC call duration by method, queueing included.",
            ["method"], new HistogramConfiguration { Buckets = LatencyBuckets });
        _inFlight = factory.CreateGauge(InFlightRequests, "gRPC calls inside the model service now.");
        _queueDepth = factory.CreateGauge(QueueDepth, "Requests (or sequences) waiting for a batch, by queue.", ["queue"]);
        _activeSequences = factory.CreateGauge(ActiveSequences, "Sequences being decoded together now, by queue.", ["queue"]);
        _batchSize = factory.CreateHistogram(BatchSize, "Requests per forward pass (sequences per decode step), by queue.",
            ["queue"], new HistogramConfiguration { Buckets = BatchBuckets });
        _queueWait = factory.CreateHistogram(QueueWait, "Time from submission to the start of the request's first forward pass, by queue.",
            ["queue"], new HistogramConfiguration { Buckets = LatencyBuckets });
        _queueExpired = factory.CreateCounter(QueueExpired,
            "Requests (or sequences) that left a queue before they ran because their call was cancelled or its deadline passed, by queue.", ["queue"]);
        _computeTime = factory.CreateHistogram(ComputeTime, "Time of one forward pass (one decode step), by queue.",
            ["queue"], new HistogramConfiguration { Buckets = LatencyBuckets });
        _generatedTokens = factory.CreateCounter(GeneratedTokens, "Tokens generated, by queue.", ["queue"]);
        _modelLoad = factory.CreateGauge(ModelLoad, "Seconds the model took to load.");
        _modelWarmUp = factory.CreateGauge(ModelWarmUp, "Seconds the model's warm-up took.");
        _modelReady = factory.CreateGauge(ModelReady, "1 while the model accepts work, else 0.");
        _kernelSelfCheckShapes = factory.CreateGauge(KernelSelfCheckShapes,
            "Kernel shapes the start-up self-check compared with float64, by op and outcome (passed, workaround_enabled, failed).",
            ["op", "outcome"]);
        _kernelSelfCheckDuration = factory.CreateGauge(KernelSelfCheckDuration, "Seconds the start-up kernel self-check took.");
        _batchCap = factory.CreateGauge(BatchCap,
            "Largest batch the service forms: the start-up calibration's cap where per-item time stops improving, at most the configured MaxBatchSize.");
        // Read when scraped: a tensor a forward path forgets to dispose stays counted until a garbage collection
        // finalizes it, and one still referenced stays counted for ever, so a count that keeps growing under steady
        // load is a native leak that the process's RSS would show only much later.
        var liveTensors = factory.CreateGauge(LiveTensors,
            "TorchSharp tensors alive in the process, the model's weights included; flat under steady load.");
        Registry.AddBeforeCollectCallback(() => liveTensors.Set(torch.Tensor.TotalCount));
    }

    /// <summary>The registry /metrics exports.</summary>
    public CollectorRegistry Registry { get; }

    internal void CallStarted() => _inFlight.Inc();

    internal void CallEnded(string method, StatusCode code, TimeSpan elapsed)
    {
        _inFlight.Dec();
        _requests.WithLabels(method, code.ToString()).Inc();
        _requestDuration.WithLabels(method).Observe(elapsed.TotalSeconds);
    }

    /// <summary>Creates a queue's series at zero, so that they are exported before its first request.</summary>
    internal void RegisterQueue(string queue)
    {
        _queueDepth.WithLabels(queue).Set(0);
        _activeSequences.WithLabels(queue).Set(0);
        _batchSize.WithLabels(queue);
        _queueWait.WithLabels(queue);
        _queueExpired.WithLabels(queue);
        _computeTime.WithLabels(queue);
        _generatedTokens.WithLabels(queue);
    }

    internal void SetQueueDepth(string queue, int depth) => _queueDepth.WithLabels(queue).Set(depth);

    internal void SetActiveSequences(string queue, int count) => _activeSequences.WithLabels(queue).Set(count);

    internal void BatchRan(string queue, int size, TimeSpan compute)
    {
        _batchSize.WithLabels(queue).Observe(size);
        _computeTime.WithLabels(queue).Observe(compute.TotalSeconds);
    }

    /// <summary>A request left the queue unrun: its caller cancelled or its deadline passed.</summary>
    internal void Expired(string queue) => _queueExpired.WithLabels(queue).Inc();

    internal void Waited(string queue, TimeSpan wait) => _queueWait.WithLabels(queue).Observe(wait.TotalSeconds);

    internal void TokensGenerated(string queue, int tokens)
    {
        if (tokens > 0) _generatedTokens.WithLabels(queue).Inc(tokens);
    }

    internal void BatchCapChosen(int cap) => _batchCap.Set(cap);

    internal void ModelLoaded(TimeSpan load, TimeSpan warmUp)
    {
        _modelLoad.Set(load.TotalSeconds);
        _modelWarmUp.Set(warmUp.TotalSeconds);
    }

    internal void SetReady(bool ready) => _modelReady.Set(ready ? 1 : 0);

    internal void KernelSelfChecked(KernelCheckReport report)
    {
        foreach (var group in report.Results.GroupBy(r => (r.Op, r.Outcome)))
            _kernelSelfCheckShapes.WithLabels(group.Key.Op, KernelCheckVerdicts.Name(group.Key.Outcome)).Set(group.Count());
        _kernelSelfCheckDuration.Set(report.Elapsed.TotalSeconds);
    }
}
