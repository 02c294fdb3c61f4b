using Mustafar.Models.Clip;
using Mustafar.Models.Diffusion;
using Mustafar.Models.Fusion;
using static TorchSharp.torch;

namespace Mustafar.Train.Features;

/// <summary>
/// Features computed in this process with the facades the CLIP and diffusion services run (<see cref="ClipVisionEncoder"/>,
/// <see cref="StableDiffusionFeatureExtractor"/>), asked exactly as the gateway asks the services: CLIP with the
/// checkpoint's layer and token selection and the encoder's default aspect; diffusion as an unconditional half (empty
/// prompt) and a conditional half (the prompt, cut to the text encoder's context), combined with feature guidance
/// f = f_u + s * (f_c - f_u) in float32, with the diffusion model's default seed. Cached in memory per image (CLIP,
/// the unconditional half, the VAE latent) and per (image, prompt) (the conditional half), so every epoch after the first
/// is free and a second question about an image skips the VAE.
/// </summary>
public sealed class InProcessFeatureSource : IFeatureSource
{
    private readonly ClipVisionEncoder _clip;
    private readonly StableDiffusionFeatureExtractor? _diffusion;
    private readonly FusionConfig _fusion;
    private readonly DiffusionSettings? _settings;
    private readonly ClipFeatureRequest _clipRequest;
    private readonly Dictionary<string, Tensor> _clipCache = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Tensor> _unconditional = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Image, string Prompt), Tensor> _conditional = [];
    private readonly Dictionary<(string Image, string Prompt), Tensor> _combined = [];
    private readonly Dictionary<string, float[]> _latents = new(StringComparer.Ordinal);
    private int _clipComputed, _diffusionComputed, _hits;
    private readonly System.Diagnostics.Stopwatch _clipTime = new(), _diffusionTime = new();

    public DiffusionSettings? Settings => _settings;

    public InProcessFeatureSource(FusionConfig fusion, string clipFolder, string? diffusionFolder, int? timestep, float? guidanceScale)
    {
        _fusion = fusion;
        _clip = ClipVisionEncoder.Load(clipFolder, "cpu", ScalarType.Float32);
        try
        {
            _clipRequest = ProjectorClipRequest.Resolve(_clip, fusion, clipFolder);
            if (fusion.Diffusion is { } spec)
            {
                if (diffusionFolder is null) throw new ArgumentException($"the {fusion.Mode.ConfigName()} checkpoint needs diffusion features: --diffusion DIR is required");
                _diffusion = StableDiffusionFeatureExtractor.Load(diffusionFolder);
                _settings = DiffusionSettings.Resolve(spec, _diffusion.Info, timestep, guidanceScale);
                var tap = _diffusion.Info.Taps.Single(t => t.Name == _settings.Tap);
                if (tap.GridHeight * tap.GridWidth != spec.Tokens || tap.Channels != spec.Channels)
                    throw new InvalidDataException($"{diffusionFolder}: tap {tap.Name} gives [{tap.GridHeight * tap.GridWidth}, {tap.Channels}], the checkpoint takes {spec}");
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public Tensor Clip(string imagePath)
    {
        if (_clipCache.TryGetValue(imagePath, out var cached))
        {
            _hits++;
            return cached;
        }
        using var scope = NewDisposeScope();
        using var timing = Timed(_clipTime);
        var image = _clip.Preprocess(File.ReadAllBytes(imagePath), field: imagePath);
        var feature = _clip.EncodeEach([image], [_clipRequest])[0].to(ScalarType.Float32).contiguous();
        _clipComputed++;
        return _clipCache[imagePath] = feature.DetachFromDisposeScope();
    }

    public Tensor Diffusion(string imagePath, string prompt)
    {
        var settings = _settings ?? throw new InvalidOperationException($"the {_fusion.Mode.ConfigName()} checkpoint uses no diffusion features");
        if (_combined.TryGetValue((imagePath, prompt), out var cached))
        {
            _hits++;
            return cached;
        }
        using var scope = NewDisposeScope();
        var u = settings.NeedsUnconditional(prompt) ? Half(imagePath, "", ConditioningVariant.Unconditional) : null;
        var c = settings.NeedsConditional(prompt) ? Half(imagePath, prompt, ConditioningVariant.Conditional) : null;
        return _combined[(imagePath, prompt)] = settings.Guided(u, c).DetachFromDisposeScope();
    }

    /// <summary>One half as the diffusion service computes it for the gateway, cached.</summary>
    private Tensor Half(string imagePath, string prompt, ConditioningVariant variant)
    {
        var cache = variant == ConditioningVariant.Unconditional ? _unconditional.TryGetValue(imagePath, out var u) ? u : null
            : _conditional.TryGetValue((imagePath, prompt), out var c) ? c : null;
        if (cache is not null) return cache;
        var settings = _settings!;
        using var scope = NewDisposeScope();
        using var timing = Timed(_diffusionTime);
        // The clean latent depends only on the image (and the resize and seed, fixed here): the VAE runs once per
        // image, as the gateway's latent cache arranges for the service.
        var latent = _latents.GetValueOrDefault(imagePath);
        var prepared = _diffusion!.Prepare(new FeatureRequest
        {
            Image = latent is null ? File.ReadAllBytes(imagePath) : default,
            Latent = latent,
            ReturnLatent = latent is null,
            Prompt = prompt,
            Timestep = settings.Timestep,
            Taps = [settings.Tap],
            Variant = variant,
            LatentMode = LatentSampling.Mean,
            TruncatePrompt = true,
        });
        var result = _diffusion.Extract([prepared])[0];
        if (result.Latent is { } clean) _latents[imagePath] = clean.to(ScalarType.Float32).data<float>().ToArray();
        var tokens = result.Features.Single(f => f.Tap == settings.Tap).Tokens.to(ScalarType.Float32).contiguous().DetachFromDisposeScope();
        _diffusionComputed++;
        if (variant == ConditioningVariant.Unconditional) _unconditional[imagePath] = tokens;
        else _conditional[(imagePath, prompt)] = tokens;
        return tokens;
    }

    public string Describe() =>
        $"features: clip {_clipComputed} computed ({_clipTime.Elapsed.TotalSeconds:0.0} s), diffusion {_diffusionComputed} halves computed ({_diffusionTime.Elapsed.TotalSeconds:0.0} s), {_hits} cache hits";

    private static StopwatchRun Timed(System.Diagnostics.Stopwatch watch)
    {
        watch.Start();
        return new StopwatchRun(watch);
    }

    private readonly struct StopwatchRun(System.Diagnostics.Stopwatch watch) : IDisposable
    {
        public void Dispose() => watch.Stop();
    }

    public void Dispose()
    {
        foreach (var t in _clipCache.Values.Concat(_unconditional.Values).Concat(_conditional.Values).Concat(_combined.Values)) t.Dispose();
        _clip.Dispose();
        _diffusion?.Dispose();
    }
}
