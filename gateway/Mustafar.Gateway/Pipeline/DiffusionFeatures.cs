using Google.Protobuf;
using Microsoft.Extensions.Options;
using Mustafar.Diffusion.V1;
using Mustafar.Gateway.Caching;
using Mustafar.Gateway.Clients;
using Mustafar.Tensors.V1;
using Mustafar.Vqa.V1;
using FeatureSpec = Mustafar.Generation.V1.FeatureSpec;

namespace Mustafar.Gateway.Pipeline;

/// <summary>The diffusion feature for one image and question.</summary>
/// <param name="PromptTruncated">The conditional half's prompt was cut to the text encoder's context.</param>
public sealed record DiffusionOutcome(Tensor Tensor, DiffusionConditioning Conditioning, CacheStatus Conditional, CacheStatus Unconditional,
    bool PromptTruncated);

/// <summary>
/// The diffusion feature the generator expects: the conditional (prompt) and unconditional halves, each from the
/// cache or the diffusion pool (in parallel), combined here with feature guidance. The unconditional half's key has
/// no prompt in it, so a new question about a known image computes only the conditional pass.
/// </summary>
public sealed class DiffusionFeatures(DiffusionClient diffusion, FeatureCache cache, IOptions<GatewayOptions> options)
{
    public async Task<DiffusionOutcome> GetAsync(FeatureSpec spec, DType dtype, InspectedImage image, VqaRequest request,
        CancellationToken cancellationToken)
    {
        var info = await diffusion.Info.GetAsync(cancellationToken).ConfigureAwait(false);
        var conditioning = DiffusionConditioning.Resolve(request.Options, request.Question, options.Value.Diffusion, info, spec);

        using var failFast = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var unconditional = conditioning.NeedsUnconditional
            ? HalfAsync(FeatureVariant.Unconditional, "", conditioning, info, spec, dtype, image, request, failFast)
            : null;
        var conditional = conditioning.NeedsConditional
            ? HalfAsync(FeatureVariant.Conditional, conditioning.Prompt, conditioning, info, spec, dtype, image, request, failFast)
            : null;
        await SiblingTasks.WhenAllOrFirstFailure(failFast, unconditional, conditional).ConfigureAwait(false);

        var u = unconditional?.Result;
        var c = conditional?.Result;
        var tensor = (u, c) switch
        {
            ({ } fu, { } fc) => FeatureGuidance.Combine(fu.Tensor, fc.Tensor, conditioning.GuidanceScale, dtype),
            ({ } fu, null) => fu.Tensor,
            (null, { } fc) => fc.Tensor,
            _ => throw new InvalidOperationException("no diffusion half was requested"),
        };
        return new DiffusionOutcome(FeatureShape.Expect(tensor, spec, dtype), conditioning,
            c?.Status ?? CacheStatus.NotUsed, u?.Status ?? CacheStatus.NotUsed, c?.Value.PromptTruncated ?? false);
    }

    private Task<CachedFeature> HalfAsync(FeatureVariant variant, string prompt, DiffusionConditioning conditioning, ModelInfo info,
        FeatureSpec spec, DType dtype, InspectedImage image, VqaRequest request, CancellationTokenSource failFast)
    {
        var settings = new DiffusionHalfSettings(info.ModelId, conditioning.Timestep, conditioning.Seed, conditioning.Tap,
            variant, prompt, info.ImageSize, LatentMode.Mean, ExpectedFeature.Of(spec, dtype));
        var key = FeatureKeys.Diffusion(options.Value.Cache.KeyPrefix, image.Sha256, settings);
        var label = variant == FeatureVariant.Conditional ? "diffusion_conditional" : "diffusion_unconditional";
        var encode = new EncodeRequest
        {
            Image = UnsafeByteOperations.UnsafeWrap(request.Image),
            Prompt = prompt,
            Timestep = settings.Timestep,
            Seed = settings.Seed,
            Variant = variant,
            OutputDtype = dtype,
            LatentMode = LatentMode.Mean,
            // A question longer than the text encoder's context is cut to fit, as diffusers' pipelines do, rather
            // than refused. The cut is a function of the full prompt, so keying by the full prompt stays exact.
            TruncatePrompt = true,
        };
        encode.Taps.Add(settings.Tap);

        return cache.GetOrComputeAsync(label, key, settings.Value, request.Options.BypassCache, async token =>
        {
            var response = await diffusion.EncodeAsync(encode, request.HttpContext, request.Deadline, token).ConfigureAwait(false);
            var tap = response.Features.FirstOrDefault(f => f.Tap == settings.Tap)
                ?? throw new GatewayException(ErrorKind.BadUpstream, $"the diffusion encoder did not return the tap '{settings.Tap}'");
            var echoed = response.Settings;
            var asKeyed = diffusion.Info.Confirm(echoed is not null && echoed.ModelId == settings.ModelId
                && echoed.Timestep == settings.Timestep && echoed.Seed == settings.Seed && echoed.Variant == variant);
            return new ComputedFeature(new FeatureValue(tap.Features, echoed?.PromptTruncated ?? false), asKeyed);
        }, failFast.Token);
    }
}
