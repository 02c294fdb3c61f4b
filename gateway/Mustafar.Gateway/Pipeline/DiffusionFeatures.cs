using Microsoft.Extensions.Options;
using Mustafar.Contracts.Diffusion.V1;
using Mustafar.Gateway.Caching;
using Mustafar.Gateway.Clients;
using Mustafar.Gateway.Observability;
using Mustafar.Contracts.Tensors.V1;
using Mustafar.Contracts.Vqa.V1;

namespace Mustafar.Gateway.Pipeline;

/// <summary>The diffusion feature for one image and question.</summary>
/// <param name="PromptTruncated">The conditional half's prompt was cut to the text encoder's context.</param>
public sealed record DiffusionOutcome(Tensor Tensor, DiffusionConditioning Conditioning, CacheOutcome Conditional, CacheOutcome Unconditional,
    bool PromptTruncated);

/// <summary>
/// The diffusion feature the generator expects: the conditional (prompt) and unconditional halves, combined here
/// with feature guidance. Never repeats an encoder's work:
/// <list type="bullet">
/// <item>each half is cached on its own; the unconditional half's key has no prompt, so it is shared by every question;</item>
/// <item>what the cache misses is computed by ONE Encode call (both halves in one pass when both are missing);</item>
/// <item>the image's VAE latent is cached too (keyed by image, size and latent mode), so a new question about a
/// known image sends the latent instead of the image and runs only the text encoder and the conditional U-Net row;</item>
/// <item>identical requests in this process share one computation (<see cref="SingleFlight{T}"/>), and every request
/// for one image, in any gateway replica, computes under one Redis lease (<see cref="ComputeLeases"/>): a second
/// gateway asking for the same cold image waits, then reads what the first stored.</item>
/// </list>
/// </summary>
public sealed class DiffusionFeatures(DiffusionClient diffusion, FeatureCache cache, ComputeLeases leases, IOptions<GatewayOptions> options,
    GatewayMetrics metrics)
{
    private const string LatentLabel = "diffusion_latent";
    private readonly SingleFlight<IReadOnlyDictionary<FeatureVariant, CachedFeature>> _flights = new();

    public async Task<DiffusionOutcome> GetAsync(Contracts.Generation.V1.FeatureSpec spec, DType dtype, InspectedImage image, VqaRequest request,
        CancellationToken cancellationToken)
    {
        var info = await diffusion.Info.GetAsync(cancellationToken).ConfigureAwait(false);
        var conditioning = DiffusionConditioning.Resolve(request.Settings.Diffusion, request.Question, options.Value.Diffusion, info, spec);
        var expected = ExpectedFeature.Of(spec, dtype);
        var prefix = options.Value.Cache.KeyPrefix;
        DiffusionHalf Half(FeatureVariant variant, string prompt) => new(variant,
            FeatureKeys.Diffusion(prefix, image.Sha256, new DiffusionHalfSettings(info.ModelId, conditioning.Timestep, conditioning.Seed,
                conditioning.Tap, variant, prompt, info.ImageSize, LatentMode.Mean, expected)),
            variant == FeatureVariant.Conditional ? "diffusion_conditional" : "diffusion_unconditional");
        var halves = new List<DiffusionHalf>();
        if (conditioning.NeedsConditional) halves.Add(Half(FeatureVariant.Conditional, conditioning.Prompt));
        if (conditioning.NeedsUnconditional) halves.Add(Half(FeatureVariant.Unconditional, ""));

        IReadOnlyDictionary<FeatureVariant, CachedFeature> found;
        if (!cache.IsUsed(request.Settings.BypassCache))
        {
            var answer = await DiffusionEncodeCall.RunAsync(diffusion, halves, conditioning, info.ModelId, dtype, latent: null, returnLatent: false,
                oneCall: HasLatents(info), request, cancellationToken).ConfigureAwait(false);
            found = answer.Halves.ToDictionary(h => h.Key, h => new CachedFeature(h.Value.Value, CacheOutcome.Bypass));
        }
        else
        {
            var latent = LatentOf(info, image);
            (found, _) = await _flights.RunAsync(string.Join('|', halves.Select(h => h.Key)),
                token => LookupOrComputeAsync(halves, expected, latent, conditioning, info.ModelId, dtype, request, token), cancellationToken,
                () => metrics.CacheShared.WithLabels("diffusion").Inc()).ConfigureAwait(false);
        }
        foreach (var half in halves) cache.CountLookup(half.Label, found[half.Variant].Status);

        var u = found.GetValueOrDefault(FeatureVariant.Unconditional);
        var c = found.GetValueOrDefault(FeatureVariant.Conditional);
        var tensor = (u, c) switch
        {
            ({ } fu, { } fc) => FeatureGuidance.Combine(fu.Tensor, fc.Tensor, conditioning.GuidanceScale, dtype),
            ({ } fu, null) => fu.Tensor,
            (null, { } fc) => fc.Tensor,
            _ => throw new InvalidOperationException("no diffusion half was requested"),
        };
        return new DiffusionOutcome(FeatureShape.Expect(tensor, spec, dtype), conditioning,
            c?.Status ?? CacheOutcome.NotUsed, u?.Status ?? CacheOutcome.NotUsed, c?.Value.PromptTruncated ?? false);
    }

    private (string Key, ExpectedFeature Value)? LatentOf(ModelInfo info, InspectedImage image)
    {
        if (!HasLatents(info)) return null; // an older service: no latent to cache
        var dtype = info.ComputeDtype == DType.Unspecified ? DType.Float32 : info.ComputeDtype;
        var settings = new DiffusionLatentSettings(info.ModelId, info.ImageSize, LatentMode.Mean, info.DefaultSeed,
            new ExpectedFeature(dtype, info.LatentChannels, info.LatentSize, info.LatentSize));
        return (FeatureKeys.DiffusionLatent(options.Value.Cache.KeyPrefix, image.Sha256, settings), settings.Value);
    }

    /// <summary>Whether the service takes and returns latents (and so has the HALVES variant, which came with them);
    /// an older one reports no latent size.</summary>
    private static bool HasLatents(ModelInfo info) => info.LatentChannels > 0 && info.LatentSize > 0;

    private async Task<IReadOnlyDictionary<FeatureVariant, CachedFeature>> LookupOrComputeAsync(IReadOnlyList<DiffusionHalf> halves,
        ExpectedFeature expected, (string Key, ExpectedFeature Value)? latent, DiffusionConditioning conditioning, string modelId, DType dtype,
        VqaRequest request, CancellationToken cancellationToken)
    {
        var found = new Dictionary<FeatureVariant, CachedFeature>();
        var readFailed = new HashSet<FeatureVariant>();
        async Task<List<DiffusionHalf>> ReadMissingAsync()
        {
            foreach (var half in halves.Where(h => !found.ContainsKey(h.Variant)))
            {
                var (value, failed) = await cache.ReadAsync(half.Label, half.Key, expected, cancellationToken).ConfigureAwait(false);
                if (value is not null) found[half.Variant] = new CachedFeature(value, CacheOutcome.Hit);
                else if (failed) readFailed.Add(half.Variant);
            }
            return halves.Where(h => !found.ContainsKey(h.Variant)).ToList();
        }

        var missing = await ReadMissingAsync().ConfigureAwait(false);
        if (missing.Count == 0) return found;

        // One computation per image across every gateway: whoever waited for another's lease reads again first.
        var leaseKey = FeatureKeys.Lease(latent?.Key ?? missing[0].Key);
        await using var lease = await leases.AcquireAsync(leaseKey, cancellationToken).ConfigureAwait(false);
        if (lease.Waited)
        {
            missing = await ReadMissingAsync().ConfigureAwait(false);
            if (missing.Count == 0) return found;
        }

        Tensor? cachedLatent = null;
        if (latent is { } l)
        {
            var (value, failed) = await cache.ReadAsync(LatentLabel, l.Key, l.Value, cancellationToken).ConfigureAwait(false);
            cachedLatent = value?.Tensor;
            cache.CountLookup(LatentLabel, value is not null ? CacheOutcome.Hit : failed ? CacheOutcome.Error : CacheOutcome.Miss);
        }
        var answer = await DiffusionEncodeCall.RunAsync(diffusion, missing, conditioning, modelId, dtype, cachedLatent,
            returnLatent: latent is not null, oneCall: latent is not null, request, cancellationToken).ConfigureAwait(false);

        foreach (var half in missing)
        {
            var computed = answer.Halves[half.Variant];
            var status = readFailed.Contains(half.Variant) ? CacheOutcome.Error
                : await cache.WriteAsync(half.Key, computed, expected, cancellationToken).ConfigureAwait(false) ? CacheOutcome.Miss
                : CacheOutcome.Error;
            found[half.Variant] = new CachedFeature(computed.Value, status);
        }
        if (latent is { } target && answer.Latent is { } computedLatent)
            await cache.WriteAsync(target.Key, computedLatent, target.Value, cancellationToken).ConfigureAwait(false);
        return found;
    }
}
