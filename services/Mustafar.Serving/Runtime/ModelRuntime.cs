using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mustafar.Models.KernelChecks;
using Mustafar.Contracts.Tensors.V1;
using Mustafar.Torch;
using TorchSharp;

namespace Mustafar.Serving;

/// <summary>
/// One loaded model and the inference thread that owns it. A host's gRPC service takes this from DI and creates
/// its batcher or step scheduler from it; the runtime loads the model at start-up, and at shutdown stops the
/// queues, disposes the model on its thread and ends the thread.
/// </summary>
public sealed class ModelRuntime<TModel> where TModel : class
{
    private readonly ModelLoader<TModel> _loader;
    private readonly IServiceProvider _services;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly List<IWorkload> _workloads = [];
    private readonly Lock _gate = new();
    private TModel? _model;

    public ModelRuntime(ModelLoader<TModel> loader, IOptions<ModelOptions> modelOptions, IOptions<BatchingOptions> batching,
        IOptions<LimitsOptions> limits, IOptions<FaultOptions> faults, ServingStatus status, ServingMetrics metrics, IServiceProvider services,
        ILoggerFactory loggers)
    {
        _loader = loader;
        _services = services;
        _loggers = loggers;
        _logger = loggers.CreateLogger<ModelRuntime<TModel>>();
        Options = modelOptions.Value;
        Batching = batching.Value;
        Limits = limits.Value;
        Faults = faults.Value;
        Status = status;
        Metrics = metrics;
        Thread = new InferenceThread($"inference:{status.ModelId}", Options.IntraOpThreads);
    }

    public ModelOptions Options { get; }
    public BatchingOptions Batching { get; }
    public LimitsOptions Limits { get; }

    /// <summary>Injected faults (chaos testing only; off by default).</summary>
    public FaultOptions Faults { get; }
    public ServingStatus Status { get; }
    public ServingMetrics Metrics { get; }

    /// <summary>The thread every torch call of this model runs on.</summary>
    public InferenceThread Thread { get; }

    public string ModelId => Status.ModelId;

    /// <summary>The device the model runs on, once loaded ("cpu", "cuda:0").</summary>
    public string DeviceName { get; private set; } = "";

    /// <summary>The compute dtype, once loaded, as a wire dtype (the default dtype of returned features).</summary>
    public DType ComputeDType { get; private set; }

    /// <summary>The largest batch the batchers form: the calibrated cap once measured (<see cref="BatchSizeCalibration"/>),
    /// else the configured MaxBatchSize.</summary>
    public int BatchCap => Calibration?.Cap ?? Batching.MaxBatchSize;

    /// <summary>The start-up batch-size calibration; null when the model has none or it is turned off.</summary>
    public BatchCalibration? Calibration { get; private set; }

    /// <summary>The start-up kernel self-check, once the model has loaded.</summary>
    public KernelCheckReport? KernelCheck { get; private set; }

    /// <summary>The loaded model. Read its configuration from any thread; call into torch only through
    /// <see cref="RunAsync{T}"/>, a batcher or a scheduler. Throws UNAVAILABLE until it has loaded.</summary>
    public TModel Model => _model ?? throw Status.NotAccepting();

    /// <summary>Runs one piece of work with the model on the inference thread (one request that is not batched).</summary>
    public Task<T> RunAsync<T>(Func<TModel, T> work)
    {
        Status.ThrowIfNotReady();
        return Thread.RunAsync(() => work(Model));
    }

    /// <summary>A dynamic batcher whose batches run on the inference thread.</summary>
    /// <param name="queue">Its name in metrics and messages ("encode").</param>
    /// <param name="runBatch">Runs one batch, returning one output per input in order.</param>
    /// <param name="compatibilityKey">Only requests with equal keys share a batch; null batches everything.</param>
    /// <param name="limits">Defaults to the configured <see cref="BatchingOptions"/>.</param>
    /// <param name="rowCount">Rows a request takes of MaxBatchSize; null counts each request as one row.</param>
    public DynamicBatcher<TInput, TOutput> CreateBatcher<TInput, TOutput>(string queue,
        Func<TModel, IReadOnlyList<TInput>, IReadOnlyList<TOutput>> runBatch, Func<TInput, object?>? compatibilityKey = null,
        BatchingLimits? limits = null, Func<TInput, int>? rowCount = null) =>
        Register(new DynamicBatcher<TInput, TOutput>(queue,
            (limits ?? BatchingLimits.From(Batching) with { Cap = () => BatchCap }) with { InjectedQueueDelay = Faults.QueueDelay },
            inputs => Thread.RunAsync(() => runBatch(Model, inputs)), compatibilityKey, Status, Metrics, rowCount));

    /// <summary>A continuous-batching scheduler whose decoder is made from the model on the inference thread. It
    /// decodes at most <see cref="BatchCap"/> sequences together.</summary>
    /// <param name="queue">Its name in metrics and messages ("generate").</param>
    /// <param name="createDecoder">Makes the decoder before the first step.</param>
    /// <param name="limits">Defaults to the configured <see cref="BatchingOptions"/>.</param>
    public StepScheduler<TRequest, TOutput> CreateStepScheduler<TRequest, TOutput>(string queue,
        Func<TModel, IStepDecoder<TRequest, TOutput>> createDecoder, BatchingLimits? limits = null) =>
        Register(new StepScheduler<TRequest, TOutput>(queue, limits ?? BatchingLimits.From(Batching) with { Cap = () => BatchCap }, Thread,
            () => createDecoder(Model), Status, Metrics, _loggers.CreateLogger<StepScheduler<TRequest, TOutput>>()));

    /// <summary>Loads and warms up the model on the inference thread, then reports ready.</summary>
    internal async Task LoadAsync()
    {
        if (Faults.Active)
            _logger.LogWarning("FAULT INJECTION IS ON ({Section}): every request waits {Delay} ms in its batcher's queue before it may run. " +
                "This is a chaos-testing setting; never use it in production", FaultOptions.Section, Faults.QueueDelayMs);
        var (loaded, loadTime, warmUpTime, device, dtype, kernelCheck, calibration) = await Thread.RunUnscopedAsync(() =>
        {
            var context = new ModelLoadContext
            {
                Options = Options,
                Batching = Batching,
                Limits = Limits,
                ModelId = ModelId,
                Device = TorchRuntime.ResolveDevice(Options.Device),
                DType = TorchDTypes.ParseComputeDType(Options.DType),
                Services = _services,
                Logger = _logger,
            };
            var started = Stopwatch.GetTimestamp();
            var instance = _loader.Load(context) ?? throw new InvalidOperationException("the model loader returned null");
            var loadTime = Stopwatch.GetElapsedTime(started);
            // Before the warm-up, so that it already takes the routes the check chose.
            var kernels = KernelSelfChecker.Run(_loader.Modules(instance), context.Device, context.DType);
            started = Stopwatch.GetTimestamp();
            if (_loader.WarmUp is { } warmUp && kernels.Passed)
            {
                using var scope = torch.NewDisposeScope();
                warmUp(instance, context);
            }
            var warmUpTime = Stopwatch.GetElapsedTime(started);
            BatchCalibration? calibration = null;
            Func<int, TimeSpan>? timeBatch = _loader.TimeBatch is { } time ? size => time(instance, size)
                : _loader.ProbeBatch is { } probe ? size => BatchSizeCalibration.Time(() => probe(instance, size))
                : null;
            if (timeBatch is not null && Batching.CalibrateBatchSize && kernels.Passed && Batching.MaxBatchSize > _loader.MinBatch)
                calibration = BatchSizeCalibration.Run(size =>
                {
                    using var scope = torch.NewDisposeScope();
                    return timeBatch(size);
                }, Batching.MaxBatchSize, _loader.MinBatch, Batching.CalibrationTolerance, Batching.CalibrationRuns,
                    TimeSpan.FromSeconds(Batching.CalibrationBudgetSeconds));
            return (instance, loadTime, warmUpTime, context.Device, context.DType, kernels, calibration);
        }).ConfigureAwait(false);
        _model = loaded;
        DeviceName = device.ToString();
        ComputeDType = TorchDTypes.ToDType(dtype);
        KernelCheck = kernelCheck;
        Calibration = calibration;
        Metrics.ModelLoaded(loadTime, warmUpTime);
        Metrics.BatchCapChosen(BatchCap);
        if (calibration is not null) _logger.LogInformation("Batch-size calibration: {Calibration}", calibration);
        Metrics.KernelSelfChecked(kernelCheck);
        ReportKernelCheck(kernelCheck);
        if (!kernelCheck.Passed)
        {
            // The model is loaded (GetModelInfo can describe it and the check), but serves nothing.
            Status.MarkFailed($"{kernelCheck.Summary}: " +
                string.Join("; ", kernelCheck.Results.Where(r => r.Outcome == KernelCheckVerdict.Failed)));
            return;
        }
        _logger.LogInformation("Model {Model} loaded on {Device} ({DType}) in {Load:F2} s, warmed up in {WarmUp:F2} s",
            ModelId, DeviceName, Options.DType, loadTime.TotalSeconds, warmUpTime.TotalSeconds);
        Status.MarkReady();
    }

    private void ReportKernelCheck(KernelCheckReport report)
    {
        foreach (var result in report.Results.Where(r => r.Outcome != KernelCheckVerdict.Passed || r.Detail is not null))
        {
            var level = result.Outcome switch
            {
                KernelCheckVerdict.Failed => LogLevel.Critical,
                KernelCheckVerdict.WorkaroundEnabled => LogLevel.Warning,
                _ => LogLevel.Information,
            };
            _logger.Log(level, "Kernel self-check: {Result}", result);
        }
        _logger.Log(report.Passed ? LogLevel.Information : LogLevel.Critical, "Model {Model}: {Summary}", ModelId, report.Summary);
    }

    /// <summary>Stops every batcher and scheduler, failing what they still hold with <paramref name="reason"/>.</summary>
    internal void StopWorkloads(Exception reason)
    {
        foreach (var workload in Workloads()) workload.Stop(reason);
    }

    /// <summary>Waits for the queues' pumps to end, disposes the model on its thread and ends the thread.</summary>
    internal async Task DisposeModelAsync(CancellationToken cancellationToken)
    {
        await Task.WhenAll(Workloads().Select(w => w.Completion)).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (_model is IDisposable disposable)
        {
            try
            {
                await Thread.RunAsync(() => disposable.Dispose()).ConfigureAwait(false);
            }
            catch (Exception error)
            {
                _logger.LogWarning(error, "Disposing model {Model} failed", ModelId);
            }
        }
        _model = null;
        Thread.Dispose();
    }

    private IWorkload[] Workloads()
    {
        lock (_gate) return [.. _workloads];
    }

    private T Register<T>(T workload) where T : IWorkload
    {
        lock (_gate) _workloads.Add(workload);
        return workload;
    }
}
