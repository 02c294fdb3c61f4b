using System.Runtime.InteropServices;
using Mustafar.Models.Checkpoints;
using Mustafar.Models.Imaging;
using Mustafar.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Mustafar.Models.Clip;

/// <summary>
/// The CLIP vision encoder as a service uses it: image bytes -> <see cref="Preprocess"/> (CPU only, no torch
/// state: run it on request threads) -> a batch of <see cref="PreprocessedImage"/>s -> <see cref="Encode(IReadOnlyList{PreprocessedImage}, int?, ClipFeatureSelect?)"/>
/// on the inference thread -> [batch, tokens, hidden] features of hidden_states[select_layer]. Only the layers up
/// to the selected one run (LLaVA's -2 skips the last). One Encode call uses one layer and feature selection;
/// a batcher groups requests by them.
/// </summary>
public sealed class ClipVisionEncoder : IDisposable
{
    private readonly ClipVisionModel _model;
    private readonly Device _device;

    public ClipVisionModelInfo Info { get; }
    public ClipImagePreprocessor Preprocessor { get; }
    public LoadReport LoadReport { get; }
    public ClipVisionSource Source { get; }

    /// <summary>The module tree, for the kernel self-check.</summary>
    public IReadOnlyList<nn.Module> Modules => [_model];

    /// <summary>The module, for tests and tools; services go through Encode.</summary>
    internal ClipVisionModel Model => _model;

    /// <summary>The tower's parameters under their module keys (<c>vision_model.…</c>, the CLIPVisionModel state dict),
    /// and its train/eval mode: for a trainer that trains the tower (LLaVA-NeXT's <c>mm_vision_tower</c> tunable part).</summary>
    public nn.Module TrainableModule => _model;

    /// <summary><see cref="Encode(Tensor, int?, ClipFeatureSelect?)"/> with autograd: the selected features of a pixel
    /// batch [batch, 3, image_size, image_size], recorded for backward, in the caller's dispose scope. Services never
    /// call it; a trainer that trains the tower does.</summary>
    public Tensor EncodeWithGrad(Tensor pixelValues, ClipFeatureRequest request)
    {
        ArgumentNullException.ThrowIfNull(pixelValues);
        ArgumentNullException.ThrowIfNull(request);
        return _model.Features(pixelValues.to(Info.ComputeDType, _device), request.HiddenStateIndex, request.SelectFeature);
    }

    private ClipVisionEncoder(LoadedClipVision loaded, Device device, ClipVisionEncoderOptions options)
    {
        _model = loaded.Model;
        _device = device;
        Source = loaded.Source;
        LoadReport = loaded.Report;
        Preprocessor = new ClipImagePreprocessor(loaded.Source.Preprocessing, options.Decode);
        var config = loaded.Source.Config;
        var defaults = loaded.Source.Defaults;
        defaults = new ClipVisionDefaults(
            options.DefaultSelectLayer ?? defaults.SelectLayer,
            options.DefaultSelectFeature ?? defaults.SelectFeature,
            options.DefaultAspect ?? defaults.Aspect);
        // A default that cannot work is a configuration error, found at start-up rather than on the first request.
        if (defaults.SelectLayer < -(config.NumLayers + 1) || defaults.SelectLayer > config.NumLayers)
            throw new InvalidDataException(
                $"{loaded.Source.Folder}: the default select layer {defaults.SelectLayer} is outside {-(config.NumLayers + 1)}..{config.NumLayers} for this {config.NumLayers}-layer tower");
        Info = new ClipVisionModelInfo(
            options.ModelId ?? Path.GetFileName(loaded.Source.Folder.TrimEnd(Path.DirectorySeparatorChar)),
            loaded.Source.Layout, config.HiddenSize, config.NumLayers, config.ImageSize, config.PatchSize, defaults,
            options.DType, device.ToString(), loaded.Source.Preprocessing, options.Decode.MaxPixels);
    }

    /// <summary>Loads a checkpoint folder on a device ("cpu", "cuda", "cuda:N") in a compute dtype.</summary>
    public static ClipVisionEncoder Load(string folder, string device, ScalarType dtype) =>
        Load(folder, new ClipVisionEncoderOptions { Device = device, DType = dtype });

    /// <summary>Loads a CLIPVisionModel, CLIPModel, llava-hf or original-LLaVA folder (see <see cref="ClipVisionSource"/>).</summary>
    public static ClipVisionEncoder Load(string folder, ClipVisionEncoderOptions? options = null)
    {
        options ??= new ClipVisionEncoderOptions();
        var device = TorchRuntime.ResolveDevice(options.Device);
        var source = ClipVisionSource.Resolve(folder, new VisionTowerLocator(options.VisionTowerSearchPaths));
        var loaded = ClipVisionLoader.Load(source, device, options.DType);
        try
        {
            return new ClipVisionEncoder(loaded, device, options);
        }
        catch
        {
            loaded.Model.Dispose();
            throw;
        }
    }

    /// <summary>Decodes and preprocesses one image with the checkpoint's settings; thread-safe.</summary>
    public PreprocessedImage Preprocess(ReadOnlyMemory<byte> image, AspectFit? aspect = null, string field = "image") =>
        Preprocessor.Preprocess(image, aspect ?? Info.Defaults.Aspect, field);

    /// <summary>The settings a call with these (possibly unset) options uses; bad values fail with
    /// InvalidInputException naming <paramref name="selectLayerField"/>.</summary>
    public ClipFeatureRequest Resolve(int? selectLayer = null, ClipFeatureSelect? selectFeature = null, string selectLayerField = "select_layer")
    {
        var index = ClipFeatureSelection.HiddenStateIndex(selectLayer ?? Info.Defaults.SelectLayer, Info.NumLayers, selectLayerField);
        var feature = selectFeature ?? Info.Defaults.SelectFeature;
        return new ClipFeatureRequest(index, feature, Info.TokenCount(feature));
    }

    /// <summary>Features of preprocessed images: [batch, tokens, hidden] on the model's device in its dtype,
    /// owned by the caller's dispose scope.</summary>
    public Tensor Encode(IReadOnlyList<PreprocessedImage> images, int? selectLayer = null, ClipFeatureSelect? selectFeature = null)
    {
        using var scope = NewDisposeScope();
        return Encode(PixelBatch(images), selectLayer, selectFeature).MoveToOuterDisposeScope();
    }

    /// <summary>Features of a pixel batch [batch, 3, image_size, image_size] (any float dtype and device).</summary>
    public Tensor Encode(Tensor pixelValues, int? selectLayer = null, ClipFeatureSelect? selectFeature = null)
    {
        ArgumentNullException.ThrowIfNull(pixelValues);
        var request = Resolve(selectLayer, selectFeature);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return _model.Features(pixelValues.to(_device), request.HiddenStateIndex, request.SelectFeature).MoveToOuterDisposeScope();
    }

    /// <summary>Features of a batch whose images each bring their own resolved settings (see <see cref="Resolve"/>):
    /// the tower runs once, up to the deepest layer asked for, and image i gets [tokens_i, hidden] of its own layer
    /// and token selection, on the model's device in its dtype, owned by the caller's dispose scope.</summary>
    public IReadOnlyList<Tensor> EncodeEach(IReadOnlyList<PreprocessedImage> images, IReadOnlyList<ClipFeatureRequest> requests)
    {
        ArgumentNullException.ThrowIfNull(requests);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var rows = _model.FeaturesPerRow(PixelBatch(images), requests.Select(r => (r.HiddenStateIndex, r.SelectFeature)).ToArray());
        foreach (var row in rows) row.MoveToOuterDisposeScope();
        return rows;
    }

    /// <summary>Stacks preprocessed images into one [batch, 3, H, W] tensor on the model's device.</summary>
    public Tensor PixelBatch(IReadOnlyList<PreprocessedImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0) throw new ArgumentException("an empty batch has nothing to encode", nameof(images));
        var size = Info.ImageSize;
        var plane = 3 * size * size;
        foreach (var image in images)
            if (image.Height != size || image.Width != size || image.Pixels.Length != plane)
                throw new ArgumentException($"every image must be preprocessed to 3x{size}x{size}, not 3x{image.Height}x{image.Width}", nameof(images));

        using var scope = NewDisposeScope();
        var batch = empty([images.Count, 3, size, size], float32);
        var destination = MemoryMarshal.Cast<byte, float>(batch.bytes);
        for (var i = 0; i < images.Count; i++) images[i].Pixels.CopyTo(destination.Slice(i * plane, plane));
        return batch.to(Info.ComputeDType, _device).MoveToOuterDisposeScope();
    }

    public void Dispose() => _model.Dispose();
}
