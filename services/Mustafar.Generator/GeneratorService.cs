using System.Diagnostics;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Mustafar.Contracts.Generation.V1;
using Mustafar.Models.Generation;
using Mustafar.Serving;
using Mustafar.ServiceDefaults;
using Mustafar.Torch;
using TorchSharp;
using Mustafar.Models.Fusion;

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
    /// with zero features of the expected shapes.</summary>
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
            if (model.Fusion is not { } fusion) return;
            var features = fusion.ExpectedFeatures.ToDictionary(s => s.Name, s => torch.zeros(s.Tokens, s.Channels));
            model.Generate(new GenerationRequest { Messages = [new ConversationTurn(ChatRole.User, "Describe the image.")], Features = features, Sampling = sampling });
        });

    private readonly ModelRuntime<GeneratorModel> runtime;
    private readonly StepScheduler<GenerationJob, GenerationStep> scheduler;
    private readonly ILogger<GeneratorService> logger;
    private readonly GenerationMetrics metrics;

    public GeneratorService(ModelRuntime<GeneratorModel> runtime, ILogger<GeneratorService> logger)
    {
        this.runtime = runtime;
        this.logger = logger;
        scheduler = runtime.CreateStepScheduler<GenerationJob, GenerationStep>("generate", model => new GenerationStepDecoder(model));
        metrics = new GenerationMetrics(runtime.Metrics.Registry, runtime.ModelId, () => scheduler.ActiveCount, () => scheduler.QueueDepth);
    }

    public override async Task Generate(GenerateRequest request, IServerStreamWriter<GenerateResponse> responseStream, ServerCallContext context)
    {
        var call = metrics.Start();
        var job = GenerationJob.Prepare(request, runtime.Model, runtime.Limits, context.CancellationToken);
        var tokens = 0;
        // Submitted under the call's server span (queue wait and batch go there, the prefill span under it); then
        // "generator.first_token" runs until the first step arrives and "generator.decode" from there to the end.
        var steps = scheduler.Submit(job, context.CancellationToken);
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
                    await responseStream.WriteAsync(new GenerateResponse { Delta = Delta(step) });
                if (step.Result is not { } result) continue;
                // The engine saw the call's token fire between tokens: the caller left or its deadline passed.
                if (result.Reason == StopReason.Cancelled) throw new OperationCanceledException(context.CancellationToken);
                await responseStream.WriteAsync(new GenerateResponse { Done = Describe(result, step.QueueMs) });
                call.Finished(result.PromptTokens, result.CompletionTokens);
                logger.LogInformation(
                    "Generation {RequestId}: {Reason} after {CompletionTokens} tokens ({PromptTokens} prompt, {ImageTokens} visual); queued {QueueMs:F1} ms, prefill {PrefillMs:F1} ms, decode {DecodeMs:F1} ms",
                    request.RequestId, result.Reason, result.CompletionTokens, result.PromptTokens, result.ImageTokens, step.QueueMs, result.PrefillMs, result.DecodeMs);
            }
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            logger.LogInformation("Generation {RequestId}: stopped after {CompletionTokens} tokens, the caller cancelled or its deadline passed",
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
        var info = Describe(runtime.Model.Info);
        info.KernelSelfCheck = runtime.KernelCheck?.ToProto();
        return Task.FromResult(info);
    }

    private static GenerationResult Describe(GenerationOutcome result, double queueMs) => new()
    {
        FinishReason = result.Reason switch
        {
            StopReason.Eos => FinishReason.Eos,
            StopReason.Length => FinishReason.Length,
            StopReason.StopString => FinishReason.StopString,
            StopReason.ContextFull => FinishReason.ContextFull,
            _ => throw new InvalidOperationException($"finish reason {result.Reason} has no wire value"),
        },
        PromptTokens = result.PromptTokens,
        CompletionTokens = result.CompletionTokens,
        ImageTokens = result.ImageTokens,
        QueueMs = queueMs,
        PrefillMs = result.PrefillMs,
        DecodeMs = result.DecodeMs,
        StopString = result.StopString ?? "",
    };

    private static ModelInfo Describe(GeneratorModelInfo info)
    {
        var result = new ModelInfo
        {
            ModelId = info.ModelId,
            FusionMode = info.FusionMode is { } mode ? ToProto(mode) : FusionMode.Unspecified,
            ImageTokens = info.ImageTokens,
            ContextLength = info.ContextLength,
            VocabSize = info.VocabSize,
            MaxNewTokensLimit = info.MaxNewTokensLimit,
            ConversationTemplate = info.ConversationTemplate,
            ComputeDtype = TorchDTypes.ToDType(info.ComputeDType),
            Device = info.Device,
            MaxBatchSize = info.MaxBatchSize,
            DefaultSampling = Describe(info.DefaultSampling),
        };
        if (info.FusionMode is { } supported) result.SupportedFusionModes.Add(ToProto(supported));
        result.ExpectedFeatures.Add(info.ExpectedFeatures.Select(Describe));
        return result;
    }

    private static FeatureSpec Describe(VisualFeatureSpec spec)
    {
        var result = new FeatureSpec
        {
            Name = spec.Name,
            Source = spec.Source == VisualFeatureSource.Clip ? FeatureSource.Clip : FeatureSource.Diffusion,
            Tokens = spec.Tokens,
            Channels = spec.Channels,
            GridHeight = spec.GridHeight,
            GridWidth = spec.GridWidth,
            ClipSelectLayer = spec.ClipSelectLayer,
            ClipKeepCls = spec.ClipKeepCls,
            DiffusionTap = spec.DiffusionTap ?? "",
            DiffusionPromptMode = spec.DiffusionPrompt ?? "",
        };
        if (spec.DiffusionTimestep is { } timestep) result.DiffusionTimestep = timestep;
        if (spec.DiffusionGuidanceScale is { } scale) result.DiffusionGuidanceScale = (float)scale;
        return result;
    }

    private static TextDelta Delta(GenerationStep step)
    {
        var delta = new TextDelta { Text = step.Delta, CompletionTokens = step.CompletionTokens };
        if (step.Logprob is { } logprob) delta.Logprobs.Add(ToProto(logprob));
        return delta;
    }

    private static TokenLogprob ToProto(TokenLikelihood token)
    {
        var result = new TokenLogprob { TokenId = token.Id, Token = token.Token, Bytes = ByteString.CopyFrom(token.Bytes), Logprob = token.Logprob };
        result.TopLogprobs.Add(token.Top.Select(ToProto));
        return result;
    }

    /// <summary>The defaults of unset sampling fields; the seed is drawn per request, so it is left unset.</summary>
    private static SamplingParams Describe(SamplingParameters defaults)
    {
        var result = new SamplingParams
        {
            MaxNewTokens = defaults.MaxNewTokens,
            Temperature = defaults.Temperature,
            TopP = defaults.TopP,
            TopK = defaults.TopK,
            RepetitionPenalty = defaults.RepetitionPenalty,
            FrequencyPenalty = defaults.FrequencyPenalty,
            PresencePenalty = defaults.PresencePenalty,
            Logprobs = defaults.Logprobs,
            TopLogprobs = defaults.TopLogprobs,
        };
        result.Stop.Add(defaults.Stop);
        foreach (var (id, bias) in defaults.LogitBias) result.LogitBias[id] = bias;
        return result;
    }

    private static FusionMode ToProto(FusionKind mode) => mode switch
    {
        FusionKind.ClipOnly => FusionMode.ClipOnly,
        FusionKind.ConcatTokens => FusionMode.ConcatTokens,
        FusionKind.ConcatChannels => FusionMode.ConcatChannels,
        FusionKind.CrossAttention => FusionMode.CrossAttention,
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "no wire value"),
    };
}
