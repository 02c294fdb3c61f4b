using System.Collections.Concurrent;
using System.Security.Cryptography;
using Mustafar.Diffusion.V1;
using Mustafar.Models.Fusion;
using Mustafar.Tensors;
using Mustafar.Tensors.FeatureCaching;
using static TorchSharp.torch;

namespace Mustafar.Train.Features;

/// <summary>
/// Features from the mesh: the encoder services through the gateway's routes (<see cref="MeshEncoders"/>), cached in
/// the gateway's Redis under the gateway's keys (<see cref="MeshFeatureCache"/>), so every epoch after the first, and
/// every serving request for a training image, reads instead of computing. The diffusion halves are combined with
/// the shared feature-guidance rule as <see cref="InProcessFeatureSource"/> combines them.
/// <para>The trainer announces the next steps' images (<see cref="Prefetch"/>); they are fetched with at most
/// <c>concurrency</c> encoder calls in flight, so that a scaled-out encoder pool works on several at once while the
/// trainer computes. The two halves of one image are asked one after the other, so that the second is computed from
/// the first one's VAE latent. Network work runs on the thread pool; tensors are made on the caller's thread (TorchSharp's
/// dispose scopes are per thread).</para>
/// </summary>
public sealed class MeshFeatureSource : IFeatureSource
{
    private readonly MeshEncoders _encoders;
    private readonly MeshFeatureCache _cache;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentDictionary<string, Task<FeatureValue>> _fetches = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (byte[] Bytes, string Sha256)> _images = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _imageGates = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Mustafar.Tensors.V1.Tensor> _latents = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Tensor> _clip = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Image, string Prompt), Tensor> _combined = [];
    private readonly FusionConfig _fusion;
    private int _clipComputed, _diffusionComputed;

    /// <param name="gateway">The gateway's gRPC address (its routes reach the encoder pools).</param>
    /// <param name="concurrency">Most encoder calls in flight at once.</param>
    public MeshFeatureSource(FusionConfig fusion, Uri gateway, MeshFeatureCache cache, int? timestep, float? guidanceScale, int concurrency = 4)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        _fusion = fusion;
        _cache = cache;
        _slots = new SemaphoreSlim(concurrency);
        try
        {
            _encoders = new MeshEncoders(gateway, fusion, timestep, guidanceScale);
        }
        catch (Grpc.Core.RpcException error)
        {
            throw new ArgumentException($"mesh: the encoders behind {gateway} did not answer: {error.Status.Detail}", error);
        }
    }

    public DiffusionSettings? Settings => _encoders.Diffusion;

    public void Prefetch(IEnumerable<FeatureNeed> needs)
    {
        foreach (var need in needs)
        {
            if (need.Clip && !_clip.ContainsKey(need.Image)) Start(ClipKey(need.Image), () => FetchClipAsync(need.Image));
            if (need.DiffusionPrompt is { } prompt && Settings is { } settings && !_combined.ContainsKey((need.Image, prompt)))
                foreach (var (variant, text) in Halves(settings, prompt))
                    Start(HalfKey(need.Image, variant, text), () => FetchHalfAsync(need.Image, variant, text));
        }
    }

    public Tensor Clip(string imagePath)
    {
        if (_clip.TryGetValue(imagePath, out var cached)) return cached;
        var value = Start(ClipKey(imagePath), () => FetchClipAsync(imagePath)).GetAwaiter().GetResult();
        _fetches.TryRemove(ClipKey(imagePath), out _); // kept as a tensor from now on
        // Kept past the caller's dispose scope, as every cached feature is (disposed with the source).
        return _clip[imagePath] = ToTensor(value).DetachFromDisposeScope();
    }

    public Tensor Diffusion(string imagePath, string prompt)
    {
        var settings = Settings ?? throw new InvalidOperationException($"the {_fusion.Mode.ConfigName()} checkpoint uses no diffusion features");
        if (_combined.TryGetValue((imagePath, prompt), out var cached)) return cached;
        var halves = Halves(settings, prompt)
            .Select(h => (h.Variant, Task: Start(HalfKey(imagePath, h.Variant, h.Prompt), () => FetchHalfAsync(imagePath, h.Variant, h.Prompt))))
            .ToArray();
        using var scope = NewDisposeScope();
        var found = halves.ToDictionary(h => h.Variant, h => ToTensor(h.Task.GetAwaiter().GetResult()));
        // Another prompt of this image may still need the unconditional half: it stays in flight (or done) until the end.
        foreach (var (variant, _) in halves.Where(h => h.Variant == FeatureVariant.Conditional))
            _fetches.TryRemove(HalfKey(imagePath, variant, prompt), out _);
        var u = found.GetValueOrDefault(FeatureVariant.Unconditional);
        var c = found.GetValueOrDefault(FeatureVariant.Conditional);
        return _combined[(imagePath, prompt)] = settings.Guided(u, c).DetachFromDisposeScope();
    }

    /// <summary>The halves a prompt needs at this guidance scale (the gateway's rule), each with the prompt it is asked with.</summary>
    private static IEnumerable<(FeatureVariant Variant, string Prompt)> Halves(DiffusionSettings settings, string prompt)
    {
        if (settings.NeedsUnconditional(prompt)) yield return (FeatureVariant.Unconditional, "");
        if (settings.NeedsConditional(prompt)) yield return (FeatureVariant.Conditional, prompt);
    }

    private Task<FeatureValue> Start(string key, Func<Task<FeatureValue>> fetch) =>
        _fetches.GetOrAdd(key, _ => Task.Run(fetch));

    private static string ClipKey(string image) => "clip\n" + image;

    private static string HalfKey(string image, FeatureVariant variant, string prompt) => $"{variant}\n{image}\n{prompt}";

    private (byte[] Bytes, string Sha256) Image(string path) =>
        _images.GetOrAdd(path, p =>
        {
            var bytes = File.ReadAllBytes(p);
            return (bytes, Convert.ToHexStringLower(SHA256.HashData(bytes)));
        });

    private async Task<FeatureValue> FetchClipAsync(string imagePath)
    {
        var (bytes, sha) = Image(imagePath);
        var settings = _encoders.ClipSettings;
        var key = FeatureKeys.Clip(_cache.KeyPrefix, sha, settings);
        if (await _cache.ReadAsync(key, settings.Value).ConfigureAwait(false) is { } hit) return hit;
        await _slots.WaitAsync().ConfigureAwait(false);
        try
        {
            var computed = await _encoders.ClipAsync(bytes).ConfigureAwait(false);
            Interlocked.Increment(ref _clipComputed);
            await _cache.WriteAsync(key, computed, settings.Value).ConfigureAwait(false);
            return computed;
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task<FeatureValue> FetchHalfAsync(string imagePath, FeatureVariant variant, string prompt)
    {
        var (bytes, sha) = Image(imagePath);
        var settings = _encoders.Half(variant, prompt);
        var key = FeatureKeys.Diffusion(_cache.KeyPrefix, sha, settings);
        if (await _cache.ReadAsync(key, settings.Value).ConfigureAwait(false) is { } hit) return hit;

        // One image's halves one at a time: the first computes (or finds) the latent, the rest start from it.
        var gate = _imageGates.GetOrAdd(imagePath, _ => new SemaphoreSlim(1));
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            var latent = await LatentAsync(imagePath, sha).ConfigureAwait(false);
            await _slots.WaitAsync().ConfigureAwait(false);
            try
            {
                var (half, returned) = await _encoders.DiffusionHalfAsync(bytes, latent, variant, prompt).ConfigureAwait(false);
                Interlocked.Increment(ref _diffusionComputed);
                await _cache.WriteAsync(key, half, settings.Value).ConfigureAwait(false);
                if (returned is not null && _encoders.Latent is { } latentSettings)
                {
                    _latents[imagePath] = returned.Tensor;
                    await _cache.WriteAsync(FeatureKeys.DiffusionLatent(_cache.KeyPrefix, sha, latentSettings), returned, latentSettings.Value).ConfigureAwait(false);
                }
                return half;
            }
            finally
            {
                _slots.Release();
            }
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The image's clean VAE latent: known here, else from the cache, else null (the call computes it).</summary>
    private async Task<Mustafar.Tensors.V1.Tensor?> LatentAsync(string imagePath, string sha)
    {
        if (_encoders.Latent is not { } settings) return null; // an older service: no latents
        if (_latents.TryGetValue(imagePath, out var known)) return known;
        var cached = await _cache.ReadAsync(FeatureKeys.DiffusionLatent(_cache.KeyPrefix, sha, settings), settings.Value).ConfigureAwait(false);
        if (cached is not null) _latents[imagePath] = cached.Tensor;
        return cached?.Tensor;
    }

    private static Tensor ToTensor(FeatureValue value)
    {
        var view = TensorView.Open(value.Tensor, "feature");
        return tensor(view.ToFloat32Array(), view.Shape.ToArray(), ScalarType.Float32);
    }

    public string Describe() =>
        $"features through the mesh: clip {_clipComputed} computed, diffusion {_diffusionComputed} halves computed; Redis {_cache.Hits} hits, {_cache.Misses} misses, {_cache.Writes} writes";

    public void Dispose()
    {
        foreach (var t in _clip.Values.Concat(_combined.Values)) t.Dispose();
        _encoders?.Dispose();
        _slots.Dispose();
    }
}
