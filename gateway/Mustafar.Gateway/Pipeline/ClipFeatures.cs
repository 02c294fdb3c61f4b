using Microsoft.Extensions.Options;
using Mustafar.Contracts.Clip.V1;
using Mustafar.Gateway.Caching;
using Mustafar.Gateway.Clients;
using Mustafar.Contracts.Tensors.V1;
using Mustafar.Contracts.Vqa.V1;

namespace Mustafar.Gateway.Pipeline;

/// <summary>The CLIP feature the generator expects for one image: from the cache or from the CLIP pool.</summary>
public sealed class ClipFeatures(ClipClient clip, FeatureCache cache, IOptions<GatewayOptions> options)
{
    public async Task<(Tensor Tensor, CacheOutcome Status)> GetAsync(Contracts.Generation.V1.FeatureSpec spec, DType dtype, InspectedImage image,
        VqaRequest request, CancellationToken cancellationToken)
    {
        var info = await clip.Info.GetAsync(cancellationToken).ConfigureAwait(false);
        var settings = Settings(spec, info, dtype);
        var key = FeatureKeys.Clip(options.Value.Cache.KeyPrefix, image.Sha256, settings);
        var encodeOptions = new EncodeOptions
        {
            SelectLayer = settings.SelectLayer,
            SelectFeature = settings.Select,
            Aspect = settings.Aspect,
            OutputDtype = dtype,
        };

        var feature = await cache.GetOrComputeAsync("clip", key, settings.Value, request.Settings.BypassCache, async token =>
        {
            var response = await clip.EncodeAsync(request.Image, encodeOptions, request.HttpContext, request.Deadline, token).ConfigureAwait(false);
            var asKeyed = clip.Info.Confirm(response.ModelId == settings.ModelId && response.SelectLayer == settings.SelectLayer
                && response.SelectFeature == settings.Select);
            return new ComputedFeature(new FeatureValue(response.Features), asKeyed);
        }, cancellationToken).ConfigureAwait(false);
        return (FeatureShape.Expect(feature.Tensor, spec, dtype), feature.Status);
    }

    /// <summary>The generator's CLIP expectations in the encoder's terms, with the encoder's defaults filled in so
    /// that the cache key names concrete values.</summary>
    internal static ClipFeatureSettings Settings(Contracts.Generation.V1.FeatureSpec spec, ModelInfo info, DType dtype)
    {
        var layer = spec.ClipSelectLayer < 0 ? info.NumLayers + 1 + spec.ClipSelectLayer : spec.ClipSelectLayer;
        if (layer < 0 || layer > info.NumLayers)
            throw new GatewayException(ErrorKind.BadUpstream,
                $"the generator expects CLIP hidden state {spec.ClipSelectLayer}, but the CLIP model '{info.ModelId}' has only {info.NumLayers} layers");
        var aspect = info.DefaultAspect == ImageAspect.Unspecified ? ImageAspect.Pad : info.DefaultAspect;
        var select = spec.ClipKeepCls ? FeatureSelect.ClsPatch : FeatureSelect.Patch;
        return new ClipFeatureSettings(info.ModelId, layer, select, aspect, info.ImageSize, ExpectedFeature.Of(spec, dtype));
    }
}
