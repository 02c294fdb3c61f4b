using System.Collections.Concurrent;
using System.Security.Cryptography;
using Mustafar.Contracts.Diffusion.V1;
using Mustafar.Models.Fusion;
using Mustafar.Tensors;
using Mustafar.Tensors.FeatureCaching;
using static TorchSharp.torch;

namespace Mustafar.Train.Features;

/// <summary>
/// Features from the mesh: the encoder services through the gateway's routes (<see cref="MeshEncoders"/>), cached in
/// the gateway's Redis under the gateway's keys (<see cref="MeshFeatureCache"/>), so every epoch after the first, and
/// every serving request for a training image, reads instead of computing. The diffusion halves are combined with
/// the shared feature-guidance rule as <see cref="InProcessFeatureSource"/> combines them. Nothing is kept in this
/// process past its use (Redis is the cache), so a LLaVA-558K-sized set does not have to fit in memory: each feature is
/// a new tensor in the caller's dispose scope.
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
    private readonly ConcurrentDictionary<string, string> _sha256 = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _imageGates = new(StringComparer.Ordinal);
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
            if (need.Clip) Start(ClipKey(need.Image), () => FetchClipAsync(need.Image));
            if (need.DiffusionPrompt is { } prompt && Settings is { } settings)
                foreach (var (variant, text) in Halves(settings, prompt))
                    Start(HalfKey(need.Image, variant, text), () => FetchHalfAsync(need.Image, variant, text));
        }
    }

    public Tensor Clip(string imagePath)
    {
        var value = Start(ClipKey(imagePath), () => FetchClipAsync(imagePath)).GetAwaiter().GetResult();
        _fetches.TryRemove(ClipKey(imagePath), out _); // asked again (a later epoch), it is read from Redis
        return ToTensor(value);
    }

    public Tensor Diffusion(string imagePath, string prompt)
    {
        var settings = Settings ?? throw new InvalidOperationException($"the {_fusion.Mode.ConfigName()} checkpoint uses no diffusion features");
        var halves = Halves(settings, prompt)
            .Select(h => (h.Variant, Task: Start(HalfKey(imagePath, h.Variant, h.Prompt), () => FetchHalfAsync(imagePath, h.Variant, h.Prompt))))
            .ToArray();
        using var scope = NewDisposeScope();
        var found = halves.ToDictionary(h => h.Variant, h => ToTensor(h.Task.GetAwaiter().GetResult()));
        foreach (var half in Halves(settings, prompt)) _fetches.TryRemove(HalfKey(imagePath, half.Variant, half.Prompt), out _);
        var u = found.GetValueOrDefault(FeatureVariant.Unconditional);
        var c = found.GetValueOrDefault(FeatureVariant.Conditional);
        return settings.Guided(u, c).MoveToOuterDisposeScope();
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

    /// <summary>The image's id in the cache keys: the SHA-256 of its file's bytes, as the gateway hashes an upload.</summary>
    private string Sha256(string path) =>
        _sha256.GetOrAdd(path, p =>
        {
            using var file = File.OpenRead(p);
            return Convert.ToHexStringLower(SHA256.HashData(file));
        });

    private async Task<FeatureValue> FetchClipAsync(string imagePath)
    {
        var sha = Sha256(imagePath);
        var settings = _encoders.ClipSettings;
        var key = FeatureKeys.Clip(_cache.KeyPrefix, sha, settings);
        if (await _cache.ReadAsync(key, settings.Value).ConfigureAwait(false) is { } hit) return hit;
        await _slots.WaitAsync().ConfigureAwait(false);
        try
        {
            var computed = await _encoders.ClipAsync(await File.ReadAllBytesAsync(imagePath).ConfigureAwait(false)).ConfigureAwait(false);
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
        var sha = Sha256(imagePath);
        var settings = _encoders.Half(variant, prompt);
        var key = FeatureKeys.Diffusion(_cache.KeyPrefix, sha, settings);
        if (await _cache.ReadAsync(key, settings.Value).ConfigureAwait(false) is { } hit) return hit;

        // One image's halves one at a time: the first computes (or finds) the latent, the rest start from it.
        var gate = _imageGates.GetOrAdd(imagePath, _ => new SemaphoreSlim(1));
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            var latent = await LatentAsync(sha).ConfigureAwait(false);
            var bytes = latent is null ? await File.ReadAllBytesAsync(imagePath).ConfigureAwait(false) : [];
            await _slots.WaitAsync().ConfigureAwait(false);
            try
            {
                var (half, returned) = await _encoders.DiffusionHalfAsync(bytes, latent, variant, prompt).ConfigureAwait(false);
                Interlocked.Increment(ref _diffusionComputed);
                await _cache.WriteAsync(key, half, settings.Value).ConfigureAwait(false);
                if (returned is not null && _encoders.Latent is { } latentSettings)
                {
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

    /// <summary>The image's clean VAE latent from the cache, else null (the call computes it).</summary>
    private async Task<Mustafar.Contracts.Tensors.V1.Tensor?> LatentAsync(string sha)
    {
        if (_encoders.Latent is not { } settings) return null; // an older service: no latents
        var cached = await _cache.ReadAsync(FeatureKeys.DiffusionLatent(_cache.KeyPrefix, sha, settings), settings.Value).ConfigureAwait(false);
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
        _encoders?.Dispose();
        _slots.Dispose();
    }
}
