using Mustafar.Models.Diffusion;
using Mustafar.Models.Fusion;

namespace Mustafar.Train.Features;

/// <summary>The diffusion settings a fusion checkpoint trains (and is served) with, every value concrete, resolved as
/// the gateway resolves them for a request without overrides: the checkpoint's fusion config, else the diffusion
/// model's defaults. Written back into the trained checkpoint's config.</summary>
public sealed record DiffusionSettings(string Tap, int Timestep, float GuidanceScale)
{
    /// <summary>f_u is needed unless the prompt is conditional and s = 1 (the gateway's rule).</summary>
    public bool NeedsUnconditional(string prompt) => prompt.Length == 0 || GuidanceScale != 1f;

    /// <summary>f_c is needed when there is a prompt and s != 0.</summary>
    public bool NeedsConditional(string prompt) => prompt.Length > 0 && GuidanceScale != 0f;

    /// <summary>The feature the generator gets from the halves this prompt needed (a new tensor in the caller's
    /// dispose scope): the shared feature-guidance rule (Mustafar.Tensors.FeatureGuidanceRule) in float32 when both
    /// are there, as the gateway applies it, else the one half.</summary>
    public TorchSharp.torch.Tensor Guided(TorchSharp.torch.Tensor? unconditional, TorchSharp.torch.Tensor? conditional) => (unconditional, conditional) switch
    {
        ({ } fu, { } fc) => FeatureGuidance.Combine(fc, fu, GuidanceScale).contiguous(),
        ({ } fu, null) => fu.alias().contiguous(),
        (null, { } fc) => fc.alias().contiguous(),
        _ => throw new InvalidOperationException("no diffusion half was needed"),
    };

    public static DiffusionSettings Resolve(VisualFeatureSpec spec, DiffusionModelInfo info, int? timestepOverride, float? guidanceOverride)
    {
        var tap = spec.DiffusionTap ?? info.DefaultTaps.FirstOrDefault()
            ?? throw new InvalidDataException("neither the generator checkpoint nor the diffusion model names a tap");
        if (info.Taps.All(t => t.Name != tap))
            throw new InvalidDataException($"the checkpoint's tap '{tap}' is not a tap of the diffusion model '{info.ModelId}'");
        var timestep = timestepOverride ?? spec.DiffusionTimestep ?? info.DefaultTimestep;
        if (timestep < 0 || timestep >= info.NumTrainTimesteps)
            throw new ArgumentException($"timestep {timestep} is outside [0, {info.NumTrainTimesteps - 1}]");
        var scale = Mustafar.Tensors.GuidanceScale.Check(guidanceOverride ?? (float?)spec.DiffusionGuidanceScale ?? info.DefaultGuidanceScale);
        return new DiffusionSettings(tap, timestep, scale);
    }
}
