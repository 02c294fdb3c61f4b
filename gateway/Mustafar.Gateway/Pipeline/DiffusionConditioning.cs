using Mustafar.Contracts.Diffusion.V1;
using Mustafar.Tensors;

namespace Mustafar.Gateway.Pipeline;

/// <summary>The diffusion settings of one request, every value concrete: from the request, else the gateway's
/// configured defaults, else the settings the generator's fusion module was trained with (its FeatureSpec), else
/// the diffusion service's defaults.</summary>
public sealed record DiffusionConditioning(DiffusionPromptMode PromptMode, string Prompt, int Timestep, ulong Seed, float GuidanceScale, string Tap)
{
    /// <summary>f_u is needed unless the prompt is conditional and s = 1 (then f = f_c).</summary>
    public bool NeedsUnconditional => Prompt.Length == 0 || GuidanceScale != 1f;

    /// <summary>f_c is needed when there is a prompt and s != 0 (with s = 0, f = f_u).</summary>
    public bool NeedsConditional => Prompt.Length > 0 && GuidanceScale != 0f;

    public static DiffusionConditioning Resolve(DiffusionChoice options, string question, DiffusionDefaults defaults, ModelInfo info, Contracts.Generation.V1.FeatureSpec spec)
    {
        var mode = options.PromptMode != DiffusionPromptMode.Unspecified ? options.PromptMode
            : defaults.PromptMode != DiffusionPromptMode.Unspecified ? defaults.PromptMode
            : TrainedPromptMode(spec);
        var prompt = mode switch
        {
            DiffusionPromptMode.Empty => "",
            DiffusionPromptMode.Custom => options.CustomPrompt is { Length: > 0 } custom ? custom
                : defaults.CustomPrompt is { Length: > 0 } configured ? configured
                : throw new InvalidInputException("custom_prompt", "is required when prompt_mode is custom"),
            _ => question,
        };

        var timestep = options.Timestep
            ?? defaults.Timestep ?? (spec.HasDiffusionTimestep ? spec.DiffusionTimestep : info.DefaultTimestep);
        if (timestep < 0 || (info.NumTrainTimesteps > 0 && timestep >= info.NumTrainTimesteps))
            throw new InvalidInputException("timestep", $"{timestep} is outside 0..{info.NumTrainTimesteps - 1}");

        var seed = options.Seed ?? defaults.Seed ?? info.DefaultSeed;

        var scale = Mustafar.Tensors.GuidanceScale.Check(options.GuidanceScale
            ?? defaults.GuidanceScale ?? (spec.HasDiffusionGuidanceScale ? spec.DiffusionGuidanceScale : info.DefaultGuidanceScale));

        return new DiffusionConditioning(mode, prompt, timestep, seed, scale, ResolveTap(options.Tap, info, spec));
    }

    /// <summary>The prompt the fusion module was trained with: "empty" when it learned from unconditional features
    /// (the paper's leakage mitigation), otherwise the question.</summary>
    private static DiffusionPromptMode TrainedPromptMode(Contracts.Generation.V1.FeatureSpec spec) =>
        string.Equals(spec.DiffusionPromptMode, "empty", StringComparison.OrdinalIgnoreCase) ? DiffusionPromptMode.Empty : DiffusionPromptMode.Question;

    /// <summary>The generator's trained tap, or an override that the diffusion model has and whose size matches
    /// what the generator's projector takes.</summary>
    private static string ResolveTap(string requested, ModelInfo info, Contracts.Generation.V1.FeatureSpec spec)
    {
        if (string.IsNullOrEmpty(requested))
            return spec.DiffusionTap is { Length: > 0 } trained ? trained
                : info.DefaultTaps.FirstOrDefault() ?? throw new GatewayException(ErrorKind.BadUpstream, "neither the generator nor the diffusion service names a tap");
        if (info.Taps.Count == 0) return requested;
        var tap = info.Taps.FirstOrDefault(t => t.Name == requested)
            ?? throw new InvalidInputException("diffusion_tap", $"'{requested}' is not a tap of the diffusion model '{info.ModelId}'");
        if ((long)tap.GridHeight * tap.GridWidth != spec.Tokens || tap.Channels != spec.Channels)
            throw new InvalidInputException("diffusion_tap",
                $"'{requested}' gives [{tap.GridHeight * tap.GridWidth}, {tap.Channels}], but the generator's model takes [{spec.Tokens}, {spec.Channels}]");
        return requested;
    }
}
