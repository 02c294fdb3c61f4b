using Grpc.Core;
using Mustafar.Serving.Tests.V1;
using Mustafar.Tensors;
using TorchSharp;

namespace Mustafar.Serving.Tests.Host;

/// <summary>The test host's one gRPC service class, written as a real host's would be: validate on the caller's
/// thread, then hand the work to a batcher or the step scheduler.</summary>
public sealed class TestModelService : TestModel.TestModelBase
{
    private readonly ModelRuntime<TinyMlp> _runtime;
    private readonly TestProbe _probe;
    private readonly DynamicBatcher<TransformRequest, TransformResponse> _batcher;
    private readonly StepScheduler<CountRequest, CountResponse> _counter;

    public TestModelService(ModelRuntime<TinyMlp> runtime, TestProbe probe)
    {
        _runtime = runtime;
        _probe = probe;
        _batcher = runtime.CreateBatcher<TransformRequest, TransformResponse>("transform", RunBatch, request => request.Group);
        _counter = runtime.CreateStepScheduler<CountRequest, CountResponse>("count", _ => new CountingDecoder(probe));
    }

    public DynamicBatcher<TransformRequest, TransformResponse> Batcher => _batcher;

    public StepScheduler<CountRequest, CountResponse> Counter => _counter;

    public override Task<TransformResponse> Transform(TransformRequest request, ServerCallContext context)
    {
        if (request.Values.Count > 1024)
            throw new InputTooLargeException("values", $"holds {request.Values.Count} numbers; the limit is 1024");
        if (request.Values.Count != TinyMlp.Width)
            throw new InvalidInputException("values", $"must hold {TinyMlp.Width} numbers, not {request.Values.Count}");
        return _batcher.SubmitAsync(request, context.CancellationToken);
    }

    public override async Task Count(CountRequest request, IServerStreamWriter<CountResponse> responseStream, ServerCallContext context)
    {
        if (request.Length <= 0) throw new InvalidInputException("length", $"must be positive, got {request.Length}");
        await foreach (var output in _counter.Submit(request, context.CancellationToken))
            await responseStream.WriteAsync(output);
    }

    public override async Task<FailResponse> Fail(FailRequest request, ServerCallContext context)
    {
        switch (request.Kind)
        {
            case "invalid": throw new InvalidInputException("image.width", "must be positive, got -3");
            case "too_large": throw new InputTooLargeException("image", "has 99000000 pixels; the limit is 16777216");
            case "internal": throw new InvalidOperationException("secret detail: connection string Password=hunter2");
            case "internal_on_thread":
                await _runtime.RunAsync<int>(_ => throw new IndexOutOfRangeException("secret detail from the inference thread"));
                break;
            case "unavailable": throw new ServiceUnavailableException("the feature store is unreachable");
            case "queue_full": throw new QueueFullException("the 'test' queue is full (1 requests waiting); retry later");
        }
        return new FailResponse();
    }

    private TransformResponse[] RunBatch(TinyMlp model, IReadOnlyList<TransformRequest> batch)
    {
        _probe.ModelThreads[Environment.CurrentManagedThreadId] = true;
        if (batch.Any(r => r.Hold))
        {
            _probe.HeldBatchStarted.TrySetResult();
            TestProbe.Wait(_probe.HoldGate, "held batch");
        }
        if (batch.Any(r => r.FailBatch)) throw new InvalidOperationException("the forward pass exploded (secret detail)");
        foreach (var request in batch) _probe.ComputedMarkers.Enqueue(request.Values[0]);

        var input = torch.tensor(batch.SelectMany(r => r.Values).ToArray(), [batch.Count, TinyMlp.Width]);
        var output = model.forward(input).contiguous().data<float>().ToArray();
        var groups = batch.Select(r => r.Group).ToArray();
        return batch.Select((_, i) =>
        {
            var response = new TransformResponse { BatchSize = batch.Count };
            response.Values.Add(output.AsSpan(i * TinyMlp.Width, TinyMlp.Width).ToArray());
            response.BatchGroups.Add(groups);
            return response;
        }).ToArray();
    }
}
