using Google.Protobuf;
using Mustafar.Contracts.Diffusion.V1;
using Mustafar.Gateway.Caching;
using Mustafar.Gateway.Clients;
using Mustafar.Contracts.Tensors.V1;

namespace Mustafar.Gateway.Pipeline;

/// <summary>One diffusion half as the cache names it.</summary>
/// <param name="Label">Metric label: diffusion_conditional or diffusion_unconditional.</param>
public sealed record DiffusionHalf(FeatureVariant Variant, string Key, string Label);

/// <summary>What one Encode call returned: each requested half, and the image's latent when it was asked for.</summary>
public sealed record DiffusionAnswer(IReadOnlyDictionary<FeatureVariant, ComputedFeature> Halves, ComputedFeature? Latent);

/// <summary>
/// The ONE Encode call that computes the diffusion halves a request missed: both halves (the HALVES variant: one
/// decode, one VAE pass, one U-Net pass of two rows) or one of them, from the image's cached VAE latent when there
/// is one (the VAE does not run), else from the image, asking for the latent back so that the next question about
/// the image can skip the VAE.
/// </summary>
public static class DiffusionEncodeCall
{
    /// <param name="oneCall">The service has the HALVES variant (it reports its latent size, which came with it); an
    /// older one gets one call per half, in parallel.</param>
    public static async Task<DiffusionAnswer> RunAsync(DiffusionClient diffusion, IReadOnlyList<DiffusionHalf> halves,
        DiffusionConditioning conditioning, string modelId, DType dtype, Tensor? latent, bool returnLatent, bool oneCall, VqaRequest request,
        CancellationToken cancellationToken)
    {
        if (halves.Count == 2 && !oneCall)
        {
            var parts = await Task.WhenAll(halves.Select(half => RunAsync(diffusion, [half], conditioning, modelId, dtype, latent, returnLatent,
                oneCall: true, request, cancellationToken))).ConfigureAwait(false);
            return new DiffusionAnswer(parts.SelectMany(p => p.Halves).ToDictionary(h => h.Key, h => h.Value), parts[0].Latent);
        }
        var variant = halves.Count == 2 ? FeatureVariant.Halves : halves[0].Variant;
        var encode = new EncodeRequest
        {
            Prompt = variant == FeatureVariant.Unconditional ? "" : conditioning.Prompt,
            Timestep = conditioning.Timestep,
            Seed = conditioning.Seed,
            Variant = variant,
            OutputDtype = dtype,
            LatentMode = LatentMode.Mean,
            // A question longer than the text encoder's context is cut to fit, as diffusers' pipelines do, rather
            // than refused. The cut is a function of the full prompt, so keying by the full prompt stays exact.
            TruncatePrompt = true,
            ReturnLatent = latent is null && returnLatent,
        };
        if (latent is null) encode.Image = UnsafeByteOperations.UnsafeWrap(request.Image);
        else encode.Latent = latent;
        encode.Taps.Add(conditioning.Tap);

        var response = await diffusion.EncodeAsync(encode, request.HttpContext, request.Deadline, cancellationToken).ConfigureAwait(false);
        var echoed = response.Settings;
        var asKeyed = diffusion.Info.Confirm(echoed is not null && echoed.ModelId == modelId && echoed.Timestep == conditioning.Timestep
            && echoed.Seed == conditioning.Seed && echoed.Variant == variant);

        var computed = new Dictionary<FeatureVariant, ComputedFeature>();
        foreach (var half in halves)
        {
            var conditional = half.Variant == FeatureVariant.Conditional;
            var list = variant == FeatureVariant.Halves && !conditional ? response.UnconditionalFeatures : response.Features;
            var tap = list.FirstOrDefault(f => f.Tap == conditioning.Tap)
                ?? throw new GatewayException(ErrorKind.BadUpstream,
                    $"the diffusion encoder did not return the {(conditional ? "conditional" : "unconditional")} features of the tap '{conditioning.Tap}'");
            computed[half.Variant] = new ComputedFeature(new FeatureValue(tap.Features, conditional && (echoed?.PromptTruncated ?? false)), asKeyed);
        }
        // An older service ignores return_latent: then there is simply nothing to store.
        var returned = response.Latent is { } value ? new ComputedFeature(new FeatureValue(value), asKeyed) : null;
        return new DiffusionAnswer(computed, returned);
    }
}
