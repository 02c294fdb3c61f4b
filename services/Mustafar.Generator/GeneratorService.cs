using System.Diagnostics;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Mustafar.Contracts.Generation.V1;
using Mustafar.Models.Generation;
using Mustafar.Serving;
using Mustafar.ServiceDefaults;
using Mustafar.Torch;
using TorchSharp;

namespace Mustafar.Generator;

/// <summary>
/// <c>mustafar.generation.v1.Generator</c> over a <see cref="GeneratorModel"/>: each request is validated and
/// tokenized on the caller's thread, then decoded with every other running request by continuous batching (the
/// Serving step scheduler over <see cref="GenerationStepDecoder"/>): newcomers join at step boundaries, text
/// streams as it is decoded, and a cancelled call leaves the batch at the next token boundary.
/// </summary>
public sealed class GeneratorService : Mustafar.Contracts.Generation.V1.Generator.GeneratorBase
{
    /// <summary>Loads the checkpoint named by <c>Mustafar:Model:Path</c> (with its tokenizer and
    /// generation_config.json), then warms up with a short text-only generation and, for a multimodal model, one
    /// with zero features of the expected shapes; then the start-up calibration times one decode step at 1, 2, 4,
    /// ... sequences up to MaxBatchSize (<see cref="DecodeStepProbe"/>).</summary>
    public static ModelLoader<GeneratorModel> Loader { get; } = new(
        context => GeneratorModel.Load(context.ModelPath, new GeneratorOptions
        {
            Device = context.Device,
            DType = context.DType,
            ModelId = context.ModelId,
            MaxBatchSize = context.Batching.MaxBatchSize,
            MaxNewTokensLimit = context.Limits.MaxNewTokens,
        }),
        model => model.Modules,
        (model, _) =>
        {
            var sampling = new SamplingRequest { MaxNewTokens = 2, Temperature = 0 };
            model.Generate(new GenerationRequest { Messages = [new ConversationTurn(ChatRole.User, "Hello")], Sampling = sampling });
            if (DecodeStepProbe.ImageFeatures(model) is not { } features) return;
            model.Generate(new GenerationRequest { Messages = [new ConversationTurn(ChatRole.User, "Describe the image.")], Features = features, Sampling = sampling });
        })
    {
        TimeBatch = DecodeStepProbe.Time,
    };

    private readonly ModelRuntime<GeneratorModel> _runtime;
    private readonly StepScheduler<GenerationJob, GenerationStep> _scheduler;
    private readonly ILogger<GeneratorService> _logger;
    private readonly GenerationMetrics _metrics;

    #region readme-generator-scheduler
    public GeneratorService(ModelRuntime<GeneratorModel> runtime, ILogger<GeneratorService> logger)
    {
        _runtime = runtime;
        _logger = logger;
        _scheduler = runtime.CreateStepScheduler<GenerationJob, GenerationStep>("generate", model => new GenerationStepDecoder(model));
        _metrics = new GenerationMetrics(runtime.Metrics.Registry, runtime.ModelId, () => _scheduler.ActiveCount, () => _scheduler.QueueDepth);
    }
    #endregion

    public override async Task Generate(GenerateRequest request, IServerStreamWriter<GenerateResponse> responseStream, ServerCallContext context)
    {
        var call = _metrics.Start();
        var job = GenerationJob.Prepare(request, _runtime.Model, _runtime.Limits, context.CancellationToken);
        var tokens = 0;
        // Submitted under the call's server span (queue wait and batch go there, the prefill span under it); then
        // "generator.first_token" runs until the first step arrives and "generator.decode" from there to the end.
        var steps = _scheduler.Submit(job, context.CancellationToken);
        var firstToken = MeshTracing.Source.StartActivity("generator.first_token");
        Activity? decode = null;
        try
        {
            await foreach (var step in steps)
            {
                if (decode is null)
                {
                    firstToken?.Dispose();
                    decode = MeshTracing.Source.StartActivity("generator.decode");
                }
                tokens = step.CompletionTokens;
                call.Stepped(tokens);
                if (step.Delta.Length > 0 || step.Logprob is not null)
                    await responseStream.WriteAsync(new GenerateResponse { Delta = GeneratorProtoMapping.ToProto(step) });
                if (step.Result is not { } result) continue;
                // The engine saw the call's token fire between tokens: the caller left or its deadline passed.
                if (result.Reason == StopReason.Cancelled) throw new OperationCanceledException(context.CancellationToken);
                await responseStream.WriteAsync(new GenerateResponse { Done = GeneratorProtoMapping.ToProto(result, step.QueueMs) });
                call.Finished(result.PromptTokens, result.CompletionTokens);
                _logger.LogInformation(
                    "Generation {RequestId}: {Reason} after {CompletionTokens} tokens ({PromptTokens} prompt, {ImageTokens} visual); queued {QueueMs:F1} ms, prefill {PrefillMs:F1} ms, decode {DecodeMs:F1} ms",
                    request.RequestId, result.Reason, result.CompletionTokens, result.PromptTokens, result.ImageTokens, step.QueueMs, result.PrefillMs, result.DecodeMs);
            }
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            _logger.LogInformation("Generation {RequestId}: stopped after {CompletionTokens} tokens, the caller cancelled or its deadline passed",
                request.RequestId, tokens);
            throw;
        }
        finally
        {
            firstToken?.Dispose();
            decode?.SetTag(SpanTags.CompletionTokens, tokens);
            decode?.Dispose();
        }
    }

    public override Task<ModelInfo> GetModelInfo(GetModelInfoRequest request, ServerCallContext context)
    {
        var info = GeneratorProtoMapping.ToProto(_runtime.Model.Info);
        info.KernelSelfCheck = _runtime.KernelCheck?.ToProto();
        info.BatchCap = _runtime.BatchCap;
        return Task.FromResult(info);
    }
}
