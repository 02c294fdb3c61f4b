using Mustafar.Models.Checkpoints;
using Mustafar.Models.Clip;
using Mustafar.Models.Fusion;
using Mustafar.Models.Imaging;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mustafar.Train.Features;

/// <summary>
/// The CLIP vision tower of the generator checkpoint, trained with the projector, the fusion and the LLM (LLaVA-NeXT's
/// <c>mm_tunable_parts=mm_vision_tower</c>): images are preprocessed once, with the CLIP service's own preprocessing,
/// and kept; the tower runs forward with autograd on every step, with the checkpoint's layer and token selection, so its
/// features cannot be cached as a frozen tower's are. Its parameters carry the checkpoint's keys
/// (<c>vision_tower.vision_model.…</c>), so the training state and the exported folder name them as the CLIP service
/// loads them.
/// </summary>
public sealed class TrainableVisionTower : IDisposable
{
    private readonly ClipVisionEncoder _encoder;
    private readonly ClipFeatureRequest _request;
    private readonly Dictionary<string, PreprocessedImage> _pixels = new(StringComparer.Ordinal);

    /// <summary>(checkpoint key, parameter) for every weight of the tower.</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> Parameters { get; }

    private TrainableVisionTower(ClipVisionEncoder encoder, ClipFeatureRequest request, string keyPrefix)
    {
        _encoder = encoder;
        _request = request;
        Parameters = [.. encoder.TrainableModule.named_parameters().Select(p => (keyPrefix + p.name, p.parameter))];
        foreach (var (_, parameter) in Parameters) parameter.requires_grad = true;
    }

    /// <summary>The tower stored in a llava-hf generator checkpoint folder, checked against the checkpoint's projector.</summary>
    public static TrainableVisionTower Load(string llavaFolder, FusionConfig fusion, ScalarType dtype)
    {
        string prefix;
        using (var checkpoint = SafetensorsCheckpoint.Open(llavaFolder))
        {
            var keys = checkpoint.Tensors.Keys.ToArray();
            if (!keys.Any(k => k.StartsWith(ClipCheckpointKeys.LlavaHfTowerPrefix, StringComparison.Ordinal) || k.StartsWith(ClipCheckpointKeys.LlavaHfNestedTowerPrefix, StringComparison.Ordinal)))
                throw new ArgumentException($"train_vision_tower: {llavaFolder} holds no llava-hf vision tower (vision_tower.*) to train");
            prefix = ClipCheckpointKeys.For(ClipCheckpointLayout.LlavaHf, keys).Prefix;
        }
        var encoder = ClipVisionEncoder.Load(llavaFolder, "cpu", dtype);
        try
        {
            return new TrainableVisionTower(encoder, ProjectorClipRequest.Resolve(encoder, fusion, llavaFolder), prefix);
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    public void Train(bool on) => _encoder.TrainableModule.train(on);

    /// <summary>Features per image: [tokens, hidden], the projector's selection.</summary>
    public (int Tokens, int Hidden) FeatureShape => (_request.TokenCount, _encoder.Info.HiddenSize);

    /// <summary>The side of the tower's patch grid (its input size over its patch size).</summary>
    public int Grid => _encoder.Info.ImageSize / _encoder.Info.PatchSize;

    /// <summary>[images, tokens, hidden] features of these image files, recorded for backward, in the caller's scope.</summary>
    public Tensor Features(IReadOnlyList<string> imagePaths)
    {
        var images = imagePaths.Select(Pixels).ToArray();
        using var scope = NewDisposeScope();
        return _encoder.EncodeWithGrad(_encoder.PixelBatch(images), _request).MoveToOuterDisposeScope();
    }

    private PreprocessedImage Pixels(string path)
    {
        if (!_pixels.TryGetValue(path, out var image))
            _pixels[path] = image = _encoder.Preprocess(File.ReadAllBytes(path), field: path);
        return image;
    }

    public void Dispose() => _encoder.Dispose();
}
