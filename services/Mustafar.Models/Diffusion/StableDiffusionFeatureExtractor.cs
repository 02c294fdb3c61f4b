using System.Security.Cryptography;
using System.Text;
using Mustafar.Models.Diffusion.Scheduling;
using Mustafar.Models.Diffusion.TextEncoder;
using Mustafar.Models.Diffusion.UNet;
using Mustafar.Models.Diffusion.Vae;
using Mustafar.Models.Imaging;
using Mustafar.Models.Tokenization;
using Mustafar.Tensors;
using Mustafar.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Mustafar.Models.Diffusion;

/// <summary>
/// The paper's task-aware diffusion feature extractor on a Stable Diffusion pipeline folder. Per request: the
/// image is decoded, resized to the square image size with PIL's bicubic filter and scaled to [-1, 1]; the VAE
/// gives the latent (mean, or a seeded sample) times scaling_factor; DDPM noise from the request's own seed is
/// added at timestep t; one U-Net pass runs on the conditional (prompt) and/or unconditional (empty prompt) rows,
/// stopping after the deepest requested tap; the taps are combined by feature guidance f = f_u + s (f_c - f_u).
/// <para>Threading: <see cref="Prepare(FeatureRequest)"/> is CPU-only and thread-safe (no torch state); run it
/// off the inference thread. <see cref="Extract"/> owns the torch work and belongs to one inference thread.</para>
/// <para>Determinism: the noise of each request is drawn on the CPU from a generator seeded with its own seed, so a
/// request gives the same noise alone or in any batch, on any device.</para>
/// </summary>
public sealed class StableDiffusionFeatureExtractor : IDisposable
{
    private static readonly PixelNormalization MinusOneToOne = new(1.0 / 255, [0.5f, 0.5f, 0.5f], [0.5f, 0.5f, 0.5f]);

    private readonly DiffusionFeatureOptions _options;
    private readonly ImageDecodeOptions _decodeOptions;
    private readonly Tensor _unconditional;
    private readonly ScalarType _vaeDType;

    public ClipBpeTokenizer Tokenizer { get; }
    public ClipTextModel TextEncoder { get; }
    public AutoencoderKLEncoder Vae { get; }
    public UNet2DConditionModel UNet { get; }

    /// <summary>The module trees, for the kernel self-check.</summary>
    public IReadOnlyList<nn.Module> Modules => [TextEncoder, Vae, UNet];
    internal DdpmNoiseSchedule Schedule { get; }
    public DiffusionModelInfo Info { get; }

    private int LatentSize => Info.ImageSize / Vae.Config.ScaleFactor;

    private StableDiffusionFeatureExtractor(string modelId, DiffusionFeatureOptions options, ClipBpeTokenizer tokenizer,
        ClipTextModel textEncoder, AutoencoderKLEncoder vae, UNet2DConditionModel unet, DdpmNoiseSchedule schedule)
    {
        _options = options;
        _decodeOptions = new ImageDecodeOptions { MaxPixels = options.MaxImagePixels };
        (Tokenizer, TextEncoder, Vae, UNet, Schedule) = (tokenizer, textEncoder, vae, unet, schedule);
        _vaeDType = options.DType == ScalarType.Float16 && vae.Config.ForceUpcast ? ScalarType.Float32 : options.DType;

        var imageSize = options.ImageSize ?? vae.Config.SampleSize;
        if (imageSize <= 0 || imageSize % vae.Config.ScaleFactor != 0)
            throw new ArgumentException($"image size {imageSize} must be a positive multiple of the VAE's factor {vae.Config.ScaleFactor}");
        if (unet.Config.CrossAttentionDim.Any(d => d != textEncoder.Config.Encoder.HiddenSize))
            throw new InvalidDataException($"the U-Net attends to {unet.Config.CrossAttentionDim[0]}-wide text states but the text encoder gives {textEncoder.Config.Encoder.HiddenSize}");
        if (unet.Config.InChannels != vae.Config.LatentChannels)
            throw new InvalidDataException($"the U-Net takes {unet.Config.InChannels} channels but the VAE gives {vae.Config.LatentChannels}");
        if (options.DefaultTimestep < 0 || options.DefaultTimestep >= schedule.NumTrainTimesteps)
            throw new ArgumentException($"default timestep {options.DefaultTimestep} is outside [0, {schedule.NumTrainTimesteps - 1}]");
        unet.Catalog.Resolve(options.DefaultTaps, "default taps");
        if (options.MaxBatchRows < 2) throw new ArgumentException("MaxBatchRows must be at least 2 (one guided request)");

        var latent = imageSize / vae.Config.ScaleFactor;
        Info = new DiffusionModelInfo(modelId, imageSize, schedule.NumTrainTimesteps, tokenizer.MaxLength,
            unet.Catalog.Describe(latent, latent), options.DefaultTimestep, options.DefaultSeed, options.DefaultGuidanceScale,
            options.DefaultTaps, options.DType, options.Device.ToString(), options.MaxBatchRows, options.MaxImagePixels,
            vae.Config.LatentChannels, latent);

        // The empty prompt's text states never change: computed once here, shared by every unconditional row.
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var ids = tensor(tokenizer.Encode("", truncate: false).Ids, dtype: int64, device: options.Device).unsqueeze(0);
        _unconditional = textEncoder.forward(ids).DetachFromDisposeScope();
    }

    /// <summary>Loads a diffusers pipeline folder (model_index.json with unet/, vae/, text_encoder/, tokenizer/,
    /// scheduler/) in the options' dtype on the options' device. Every component loads strictly.</summary>
    public static StableDiffusionFeatureExtractor Load(string folder, DiffusionFeatureOptions? options = null, Action<string>? log = null)
    {
        options ??= new DiffusionFeatureOptions();
        var layout = DiffusionPipelineLayout.Open(folder);
        IReadOnlyList<string>? names = options.WeightVariant is { } variant
            ? [$"model.{variant}", $"diffusion_pytorch_model.{variant}"]
            : null;
        var loaded = new List<IDisposable>();
        try
        {
            var (textEncoder, textReport) = ClipTextEncoderLoader.Load(layout.TextEncoder, options.Device, options.DType, names);
            loaded.Add(textEncoder);
            log?.Invoke($"text_encoder: {textReport}");
            var tokenizer = ClipBpeTokenizer.Load(layout.Tokenizer, textEncoder.Config.MaxPositionEmbeddings);
            var vaeConfig = AutoencoderKLConfig.From(Checkpoints.HfConfig.Load(Path.Combine(layout.Vae, "config.json")));
            var vaeDType = options.DType == ScalarType.Float16 && vaeConfig.ForceUpcast ? ScalarType.Float32 : options.DType;
            var (vae, vaeReport) = VaeEncoderLoader.Load(layout.Vae, options.Device, vaeDType, names);
            loaded.Add(vae);
            log?.Invoke($"vae: {vaeReport} (the decoder is not needed to extract features)");
            var (unet, unetReport) = UNetLoader.Load(layout.UNet, options.Device, options.DType, names);
            loaded.Add(unet);
            log?.Invoke($"unet: {unetReport}");
            var schedule = DdpmNoiseSchedule.Load(layout.SchedulerConfig);
            loaded.Add(schedule);
            var modelId = options.ModelId ?? Path.GetFileName(Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar));
            return new StableDiffusionFeatureExtractor(modelId, options, tokenizer, textEncoder, vae, unet, schedule);
        }
        catch
        {
            foreach (var part in loaded) part.Dispose();
            throw;
        }
    }

    /// <summary>Decodes the request's image, or checks the latent it brought instead, and prepares it (CPU only,
    /// any thread).</summary>
    public PreparedFeatureRequest Prepare(FeatureRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Latent is null) return Prepare(request, ImageDecoder.Decode(request.Image, _decodeOptions, "image").Image);
        if (!request.Image.IsEmpty) throw new InvalidInputException("latent", "was given with an image; send exactly one of image and latent");
        var expected = (long)Info.LatentChannels * Info.LatentSize * Info.LatentSize;
        if (request.Latent.Length != expected)
            throw new InvalidInputException("latent",
                $"has {request.Latent.Length} elements; this model's latent is [{Info.LatentChannels}, {Info.LatentSize}, {Info.LatentSize}] ({expected})");
        foreach (var value in request.Latent)
            if (!float.IsFinite(value)) throw new InvalidInputException("latent", "holds a NaN or an infinity");
        return PrepareSettings(request, null);
    }

    /// <summary>Prepares a request whose image is already decoded: validates every setting, resizes and scales the
    /// image, tokenizes the prompt when a conditional row will run.</summary>
    public PreparedFeatureRequest Prepare(FeatureRequest request, RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(image);
        return PrepareSettings(request, image);
    }

    private PreparedFeatureRequest PrepareSettings(FeatureRequest request, RgbImage? image)
    {
        var timestep = request.Timestep ?? Info.DefaultTimestep;
        if (timestep < 0 || timestep >= Info.NumTrainTimesteps)
            throw new InvalidInputException("timestep", $"{timestep} is outside [0, {Info.NumTrainTimesteps - 1}]");
        var scale = GuidanceScale.Check(request.GuidanceScale ?? Info.DefaultGuidanceScale);
        if (!Enum.IsDefined(request.Variant)) throw new InvalidInputException("variant", $"{request.Variant} is not a feature variant");
        if (!Enum.IsDefined(request.LatentMode)) throw new InvalidInputException("latent_mode", $"{request.LatentMode} is not a latent mode");
        var taps = UNet.Catalog.Resolve(request.Taps.Count > 0 ? request.Taps : Info.DefaultTaps, "taps");

        var prompt = request.Prompt ?? "";
        var tokens = Tokenizer.Encode(prompt, request.TruncatePrompt, "prompt");
        var promptIsEmpty = tokens.TokenCount <= 2;
        if (request.Variant is ConditioningVariant.Conditional or ConditioningVariant.Halves && promptIsEmpty)
            throw new InvalidInputException("prompt", $"is empty; the {request.Variant.ToString().ToUpperInvariant()} variant needs a prompt");
        var usesPrompt = request.Variant is ConditioningVariant.Conditional or ConditioningVariant.Halves
                         || (request.Variant == ConditioningVariant.Guided && scale != 0 && !promptIsEmpty);

        var prepared = new PreparedFeatureRequest
        {
            Pixels = image is null ? null : MinusOneToOne.ToChw(PilResampler.Resize(image, Info.ImageSize, Info.ImageSize, ResampleFilter.Bicubic)),
            Latent = image is null ? request.Latent : null,
            ReturnLatent = request.ReturnLatent,
            PromptIds = usesPrompt ? tokens.Ids : null,
            Taps = taps,
            Settings = new FeatureSettings(
                Info.ModelId, timestep, request.Seed ?? Info.DefaultSeed,
                request.Variant == ConditioningVariant.Guided ? scale : 0f,
                taps.Select(t => t.Name).ToList(), request.Variant,
                Sha256Hex(usesPrompt ? prompt : ""), Info.ImageSize, request.LatentMode,
                usesPrompt ? tokens.TokenCount : 2, usesPrompt && tokens.Truncated, 0, VaeRan: image is not null),
        };
        return prepared with { Settings = prepared.Settings with { UNetRows = prepared.UNetRows } };
    }

    /// <summary>Runs compatible prepared requests (equal <see cref="PreparedFeatureRequest.BatchKey"/>, at most
    /// <see cref="DiffusionModelInfo.MaxBatchRows"/> U-Net rows in all) as one batch: one VAE pass, one text-encoder
    /// pass over the conditional prompts, one U-Net pass in which conditional and unconditional rows share the
    /// batch. Requests that brought their latent skip the VAE. Results are in request order, their tensors in the
    /// caller's dispose scope.</summary>
    public IReadOnlyList<FeatureResult> Extract(IReadOnlyList<PreparedFeatureRequest> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0) return [];
        if (batch.Select(r => r.BatchKey).Distinct().Count() > 1)
            throw new ArgumentException("a batch needs the same timestep, taps and image size in every request", nameof(batch));
        var rows = batch.Sum(r => r.UNetRows);
        if (rows > Info.MaxBatchRows)
            throw new ArgumentException($"the batch needs {rows} U-Net rows, more than MaxBatchRows {Info.MaxBatchRows}", nameof(batch));

        using var gradients = no_grad();
        using var scope = NewDisposeScope();
        var (noisy, clean) = NoisyLatents(batch);
        var conditional = ConditionalTextStates(batch);
        var (samples, contexts, rowOf) = (new List<Tensor>(), new List<Tensor>(), new List<(int? Conditional, int? Unconditional)>());
        var nextConditional = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            int? c = null, u = null;
            if (batch[i].RunsConditional)
            {
                c = samples.Count;
                samples.Add(noisy[i]);
                contexts.Add(conditional![nextConditional++]);
            }
            if (batch[i].RunsUnconditional)
            {
                u = samples.Count;
                samples.Add(noisy[i]);
                contexts.Add(_unconditional[0]);
            }
            rowOf.Add((c, u));
        }
        var timesteps = ScalarSafeOps.Full([samples.Count], (long)batch[0].Settings.Timestep, int64, _options.Device);
        var output = UNet.Run(stack(samples), timesteps, stack(contexts), batch[0].Settings.Taps);

        var results = new List<FeatureResult>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            var request = batch[i];
            var halves = request.Settings.Variant == ConditioningVariant.Halves;
            // HALVES returns its conditional row as the features and its unconditional row beside them.
            var returned = halves ? (rowOf[i].Conditional, null) : rowOf[i];
            var features = request.Taps.Select(tap => Features(tap, output.Taps[tap.Name], returned, request.Settings)).ToList();
            var unconditional = halves
                ? request.Taps.Select(tap => Features(tap, output.Taps[tap.Name], (null, rowOf[i].Unconditional), request.Settings)).ToList()
                : null;
            var latent = request.ReturnLatent ? clean[i].to(CPU).contiguous().MoveToOuterDisposeScope() : null;
            results.Add(new FeatureResult(request.Settings, features, unconditional, latent));
        }
        foreach (var feature in results.SelectMany(r => r.Features.Concat(r.UnconditionalFeatures ?? []))) feature.Tokens.MoveToOuterDisposeScope();
        return results;
    }

    // The noisy latents [n, c, h, w] in the compute dtype, and each request's clean scaled latent [c, h, w]. Only
    // requests with pixels run the VAE (one batch); the others brought their clean latent. Each request's randomness
    // comes from its own generator: first the latent sample (SAMPLE mode), then the noise, as diffusers' img2img
    // draws them from one generator; a request that brought its sampled latent still makes that first draw, so
    // that its noise is the same as when the VAE ran.
    private (Tensor Noisy, List<Tensor> Clean) NoisyLatents(IReadOnlyList<PreparedFeatureRequest> batch)
    {
        var size = Info.ImageSize;
        var encoded = batch.Where(r => r.Pixels is not null).ToList();
        LatentDistribution? distribution = null;
        Tensor? std = null;
        if (encoded.Count > 0)
        {
            var pixels = new float[encoded.Count * encoded[0].Pixels!.Length];
            for (var i = 0; i < encoded.Count; i++) encoded[i].Pixels!.CopyTo(pixels, i * encoded[i].Pixels!.Length);
            var images = tensor(pixels, [encoded.Count, 3, size, size]).to(_vaeDType, _options.Device);
            distribution = Vae.Encode(images);
            std = distribution.Std();
        }
        try
        {
            long[] shape = [1, Vae.Config.LatentChannels, LatentSize, LatentSize];
            var clean = new List<Tensor>();
            var noises = new List<Tensor>();
            var nextEncoded = 0;
            foreach (var request in batch)
            {
                using var generator = new Generator(request.Settings.Seed, CPU);
                var sample = request.Settings.LatentMode == LatentSampling.Sample;
                if (request.Latent is { } brought)
                {
                    if (sample) randn(shape, float32, CPU, generator: generator).Dispose(); // the draw the latent sample took
                    clean.Add(tensor(brought, [Vae.Config.LatentChannels, LatentSize, LatentSize]).to(_options.DType, _options.Device));
                }
                else
                {
                    var row = TensorIndex.Slice(nextEncoded, nextEncoded + 1);
                    nextEncoded++;
                    var mean = distribution!.Mean[row];
                    var latent = sample ? mean.Add(std![row] * randn(shape, float32, CPU, generator: generator).to(mean.dtype, mean.device)) : mean;
                    clean.Add(Vae.Scale(latent).to(_options.DType)[0]);
                }
                noises.Add(_options.Noise.Noise(request, shape, generator));
            }
            var timesteps = ScalarSafeOps.Full([batch.Count], (long)batch[0].Settings.Timestep, int64, _options.Device);
            return (Schedule.AddNoise(stack(clean), cat(noises, 0).to(_options.DType, _options.Device), timesteps), clean);
        }
        finally
        {
            distribution?.Dispose();
        }
    }

    private Tensor? ConditionalTextStates(IReadOnlyList<PreparedFeatureRequest> batch)
    {
        var prompts = batch.Where(r => r.RunsConditional).Select(r => r.PromptIds!).ToList();
        if (prompts.Count == 0) return null;
        var ids = tensor(prompts.SelectMany(p => p).ToArray(), [prompts.Count, Tokenizer.MaxLength], dtype: int64).to(_options.Device);
        return TextEncoder.forward(ids);
    }

    private static TapTokens Features(UNetTap tap, Tensor map, (int? Conditional, int? Unconditional) rows, FeatureSettings settings)
    {
        using var scope = NewDisposeScope();
        Tensor Row(int index) => map[index];
        var value = (rows.Conditional, rows.Unconditional) switch
        {
            ({ } c, { } u) => FeatureGuidance.Combine(Row(c), Row(u), settings.GuidanceScale),
            ({ } c, null) => Row(c),
            (null, { } u) => Row(u),
            _ => throw new InvalidOperationException("a request ran no U-Net row"),
        };
        var (channels, height, width) = (value.shape[0], value.shape[1], value.shape[2]);
        var tokens = value.permute(1, 2, 0).reshape(height * width, channels).to(CPU).contiguous();
        return new TapTokens(tap.Name, tokens.MoveToOuterDisposeScope(), (int)height, (int)width, (int)channels);
    }

    private static string Sha256Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    public void Dispose()
    {
        _unconditional.Dispose();
        TextEncoder.Dispose();
        Vae.Dispose();
        UNet.Dispose();
        Schedule.Dispose();
    }
}
