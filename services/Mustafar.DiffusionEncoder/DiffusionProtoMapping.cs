using Mustafar.Contracts.Diffusion.V1;
using Mustafar.Contracts.Tensors.V1;
using Mustafar.Models.Diffusion;
using Mustafar.Serving;
using Mustafar.Tensors;
using Mustafar.Torch;

namespace Mustafar.DiffusionEncoder;

/// <summary>
/// The diffusion host's one translation between <c>diffusion.v1</c> messages and the feature extractor's types
/// (<see cref="FeatureRequest"/> in; <see cref="FeatureResult"/>, <see cref="FeatureSettings"/> and the model's
/// description out), as GatewayProtoMapping is the gateway's. Every request field is checked on the way in, the
/// error naming it.
/// </summary>
public static class DiffusionProtoMapping
{
    // ---- requests in ----

    /// <summary>Unset is GUIDED, the service's default.</summary>
    public static ConditioningVariant ToDomain(FeatureVariant variant) => RequestChecks.Known(variant, "variant") switch
    {
        FeatureVariant.Conditional => ConditioningVariant.Conditional,
        FeatureVariant.Unconditional => ConditioningVariant.Unconditional,
        FeatureVariant.Halves => ConditioningVariant.Halves,
        _ => ConditioningVariant.Guided,
    };

    /// <summary>Unset is the mean, what the paper's extraction uses.</summary>
    public static LatentSampling ToDomain(LatentMode mode) =>
        RequestChecks.Known(mode, "latent_mode") == LatentMode.Sample ? LatentSampling.Sample : LatentSampling.Mean;

    /// <summary>The request for the extractor, with its already mapped <paramref name="variant"/> and
    /// <paramref name="sampling"/>: the image (or the latent it brought instead), prompt, settings and taps.</summary>
    public static FeatureRequest ToDomain(EncodeRequest request, ConditioningVariant variant, LatentSampling sampling,
        DiffusionModelInfo info, LimitsOptions limits) => new()
    {
        Image = request.Latent is null ? RequestChecks.Image(request.Image, limits) : request.Image.Memory,
        Latent = request.Latent is null ? null : LatentValues(request.Latent, info),
        ReturnLatent = request.ReturnLatent,
        Prompt = RequestChecks.Text(request.Prompt, limits.MaxPromptChars, "prompt"),
        Timestep = request.HasTimestep ? request.Timestep : null,
        Seed = request.HasSeed ? request.Seed : null,
        GuidanceScale = request.HasGuidanceScale ? request.GuidanceScale : null,
        Taps = request.Taps,
        Variant = variant,
        LatentMode = sampling,
        TruncatePrompt = request.TruncatePrompt,
    };

    /// <summary>The latent a request brought, as float32 (exact for every compute dtype): it must be what this
    /// service returns, [latent_channels, latent_size, latent_size] in the compute dtype.</summary>
    private static float[] LatentValues(Tensor latent, DiffusionModelInfo info)
    {
        var view = TensorView.Open(latent, "latent");
        long[] shape = [info.LatentChannels, info.LatentSize, info.LatentSize];
        var computeDType = TorchDTypes.ToDType(info.ComputeDType);
        if (view.DType != computeDType || !view.Shape.SequenceEqual(shape))
            throw new InvalidInputException("latent",
                $"is {DTypes.Name(view.DType)} [{string.Join(", ", view.Shape)}]; this model's latent is {DTypes.Name(computeDType)} [{string.Join(", ", shape)}]");
        return view.ToFloat32Array();
    }

    // ---- responses out ----

    /// <summary>One request's answer: its features per tap in <paramref name="outputDType"/> (f_u separately for
    /// HALVES), the settings that made them and, when asked for, the latent in the compute dtype.</summary>
    public static EncodeResponse ToProto(FeatureResult result, DType outputDType, DType computeDType)
    {
        var response = new EncodeResponse { Settings = ToProto(result.Settings) };
        response.Features.Add(result.Features.Select(tap => ToProto(tap, outputDType)));
        response.UnconditionalFeatures.Add((result.UnconditionalFeatures ?? []).Select(tap => ToProto(tap, outputDType)));
        if (result.Latent is { } latent) response.Latent = TorchTensorBridge.ToProto(latent, computeDType);
        return response;
    }

    public static TapFeatures ToProto(TapTokens tap, DType outputDType) => new()
    {
        Tap = tap.Tap,
        Features = TorchTensorBridge.ToProto(tap.Tokens, outputDType),
        GridHeight = tap.GridHeight,
        GridWidth = tap.GridWidth,
        Channels = tap.Channels,
    };

    public static EncodeSettings ToProto(FeatureSettings settings)
    {
        var result = new EncodeSettings
        {
            ModelId = settings.ModelId,
            Timestep = settings.Timestep,
            Seed = settings.Seed,
            GuidanceScale = settings.GuidanceScale,
            Variant = ToProto(settings.Variant),
            PromptSha256 = settings.PromptSha256,
            ImageSize = settings.ImageSize,
            LatentMode = ToProto(settings.LatentMode),
            PromptTokens = settings.PromptTokens,
            PromptTruncated = settings.PromptTruncated,
            UnetRows = settings.UNetRows,
            VaeRan = settings.VaeRan,
        };
        result.Taps.Add(settings.Taps);
        return result;
    }

    public static FeatureVariant ToProto(ConditioningVariant variant) => variant switch
    {
        ConditioningVariant.Conditional => FeatureVariant.Conditional,
        ConditioningVariant.Unconditional => FeatureVariant.Unconditional,
        ConditioningVariant.Halves => FeatureVariant.Halves,
        _ => FeatureVariant.Guided,
    };

    public static LatentMode ToProto(LatentSampling sampling) => sampling == LatentSampling.Sample ? LatentMode.Sample : LatentMode.Mean;

    public static ModelInfo ToProto(DiffusionModelInfo info)
    {
        var result = new ModelInfo
        {
            ModelId = info.ModelId,
            ImageSize = info.ImageSize,
            NumTrainTimesteps = info.NumTrainTimesteps,
            MaxPromptTokens = info.MaxPromptTokens,
            DefaultTimestep = info.DefaultTimestep,
            DefaultSeed = info.DefaultSeed,
            DefaultGuidanceScale = info.DefaultGuidanceScale,
            ComputeDtype = TorchDTypes.ToDType(info.ComputeDType),
            Device = info.Device,
            MaxBatchSize = info.MaxBatchRows,
            MaxImagePixels = info.MaxImagePixels,
            LatentChannels = info.LatentChannels,
            LatentSize = info.LatentSize,
        };
        result.Taps.Add(info.Taps.Select(tap => new TapInfo
        {
            Name = tap.Name,
            ModulePath = tap.ModulePath,
            GridHeight = tap.GridHeight,
            GridWidth = tap.GridWidth,
            Channels = tap.Channels,
        }));
        result.DefaultTaps.Add(info.DefaultTaps);
        return result;
    }
}
