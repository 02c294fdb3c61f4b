using Microsoft.Extensions.Options;
using Mustafar.Gateway.Clients;
using Mustafar.Gateway.Observability;
using Mustafar.Contracts.Generation.V1;
using Mustafar.Tensors;
using Mustafar.Contracts.Tensors.V1;

namespace Mustafar.Gateway.Pipeline;

/// <summary>
/// Answers one question about one image: validates and hashes the image, reads the generator's model info
/// (cached) for its fusion mode and expected features, gets the CLIP and diffusion features in parallel (cache or
/// encoder pools; none from diffusion for a CLIP-only model), and starts the generation. Both APIs use it.
/// </summary>
public sealed class VqaPipeline(
    GeneratorClient generator,
    ClipFeatures clipFeatures,
    DiffusionFeatures diffusionFeatures,
    IOptions<GatewayOptions> options,
    GatewayMetrics metrics)
{
    /// <summary>The model name clients see: the configured one, else the generator's own id.</summary>
    public async Task<string> PublicModelIdAsync(CancellationToken cancellationToken) =>
        options.Value.ModelId is { Length: > 0 } configured ? configured
            : (await generator.Info.GetAsync(cancellationToken).ConfigureAwait(false)).ModelId;

    /// <summary>Runs every stage up to the generator's first message. Failures up to here have not sent anything
    /// to the client yet, so the APIs can still answer them with a proper status.</summary>
    public async Task<VqaRun> StartAsync(VqaRequest request, CancellationToken cancellationToken)
    {
        var clock = new StageClock(request.ReceivedAt);
        var limits = options.Value.Limits;
        var image = ImageInspector.Inspect(request.Image.Span, request.ImageField, limits.MaxImageBytes, limits.MaxImagePixels, limits.MaxImageAspectRatio);
        var decodeImageMs = clock.ElapsedMs;

        var model = await generator.Info.GetAsync(cancellationToken).ConfigureAwait(false);
        var publicModel = options.Value.ModelId is { Length: > 0 } configured ? configured : model.ModelId;
        if (request.Settings.Model is { Length: > 0 } asked && asked != publicModel)
            throw new GatewayException(ErrorKind.NotFound, $"the model '{asked}' does not exist; this gateway serves '{publicModel}'", "model", "model_not_found");

        var dtype = DTypes.IsFeatureDType(model.ComputeDtype) ? model.ComputeDtype : DType.Float32;
        var clipSpec = model.ExpectedFeatures.FirstOrDefault(s => s.Source == FeatureSource.Clip);
        var diffusionSpec = model.FusionMode == FusionMode.ClipOnly ? null
            : model.ExpectedFeatures.FirstOrDefault(s => s.Source == FeatureSource.Diffusion);

        using var failFast = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var clipTask = clipSpec is null ? null
            : StageClock.TimeAsync(() => clipFeatures.GetAsync(clipSpec, dtype, image, request, failFast.Token));
        var diffusionTask = diffusionSpec is null ? null
            : StageClock.TimeAsync(() => diffusionFeatures.GetAsync(diffusionSpec, dtype, image, request, failFast.Token));
        try
        {
            await SiblingTasks.WhenAllOrFirstFailure(failFast, clipTask, diffusionTask).ConfigureAwait(false);
        }
        catch (Exception error)
        {
            generator.Info.DropIfContradicted(error); // features that do not fit the model we know of: it may have changed
            throw;
        }

        var generate = new GenerateRequest
        {
            FusionMode = model.FusionMode,
            RequestId = request.RequestId,
            Sampling = GatewayProtoMapping.ToProto(request.Settings.Sampling),
        };
        generate.Messages.AddRange(request.Conversation.Select(GatewayProtoMapping.ToProto));
        var summary = new AnswerSummary { ImageId = image.Sha256, Model = publicModel, Timings = new AnswerTimings { DecodeImageMs = decodeImageMs } };
        if (clipTask is not null)
        {
            var ((tensor, status), ms) = clipTask.Result;
            generate.Features.Add(TensorCodec.Named(clipSpec!.Name, tensor));
            summary = summary with { ClipCache = status, Timings = summary.Timings with { ClipMs = ms } };
        }
        if (diffusionTask is not null)
        {
            var (outcome, ms) = diffusionTask.Result;
            generate.Features.Add(TensorCodec.Named(diffusionSpec!.Name, outcome.Tensor));
            summary = summary with
            {
                DiffusionConditionalCache = outcome.Conditional,
                DiffusionUnconditionalCache = outcome.Unconditional,
                Diffusion = outcome.Conditioning,
                DiffusionPromptTruncated = outcome.PromptTruncated,
                Timings = summary.Timings with { DiffusionMs = ms },
            };
        }

        var generateStartedMs = clock.ElapsedMs;
        GenerationStream stream;
        try
        {
            stream = await generator.StartAsync(generate, request.HttpContext, request.Deadline, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error)
        {
            generator.Info.DropIfContradicted(error); // a feature the model no longer takes, perhaps
            throw;
        }
        return new VqaRun(stream, summary, clock, generateStartedMs, metrics);
    }
}
