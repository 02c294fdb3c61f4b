using System.Text.Json.Nodes;
using Mustafar.Models.Checkpoints;

namespace Mustafar.Models.Imaging;

/// <summary>
/// transformers' <c>CLIPImageProcessor</c> settings, read from a checkpoint's <c>preprocessor_config.json</c>; a
/// missing key takes CLIPImageProcessor's default. <c>size</c> may be <c>{"shortest_edge": n}</c>,
/// <c>{"height": h, "width": w}</c> or a bare int (shortest edge), and <c>crop_size</c> a dict or a bare int (square),
/// as transformers' <c>get_size_dict</c> accepts.
/// </summary>
public sealed record ClipImageProcessorConfig
{
    /// <summary>OPENAI_CLIP_MEAN and OPENAI_CLIP_STD in transformers.</summary>
    public static readonly IReadOnlyList<double> OpenAiClipMean = [0.48145466, 0.4578275, 0.40821073];
    public static readonly IReadOnlyList<double> OpenAiClipStd = [0.26862954, 0.26130258, 0.27577711];

    public bool DoResize { get; init; } = true;

    /// <summary>Resize so the shorter side is this long (the long side truncated, not rounded); null when
    /// <see cref="ResizeHeight"/>/<see cref="ResizeWidth"/> give an exact size.</summary>
    public int? ShortestEdge { get; init; } = 224;

    public int? ResizeHeight { get; init; }
    public int? ResizeWidth { get; init; }
    public ResampleFilter Resample { get; init; } = ResampleFilter.Bicubic;
    public bool DoCenterCrop { get; init; } = true;
    public int CropHeight { get; init; } = 224;
    public int CropWidth { get; init; } = 224;
    public bool DoRescale { get; init; } = true;
    public double RescaleFactor { get; init; } = 1.0 / 255;
    public bool DoNormalize { get; init; } = true;
    public IReadOnlyList<double> ImageMean { get; init; } = OpenAiClipMean;
    public IReadOnlyList<double> ImageStd { get; init; } = OpenAiClipStd;

    /// <summary>LlavaImageProcessor's <c>do_pad</c> (expand to square before resizing), when the file states it.</summary>
    public bool? DoPad { get; init; }

    /// <summary>LLaVA's pad colour: <c>tuple(int(x * 255) for x in image_mean)</c>, truncated.</summary>
    public Rgb PadColor => new((byte)(int)(ImageMean[0] * 255), (byte)(int)(ImageMean[1] * 255), (byte)(int)(ImageMean[2] * 255));

    /// <summary>The normalisation step (rescale then mean/std) this config describes.</summary>
    public PixelNormalization Normalization => new(
        DoRescale ? RescaleFactor : null,
        DoNormalize ? ImageMean.Select(m => (float)m).ToArray() : null,
        DoNormalize ? ImageStd.Select(s => (float)s).ToArray() : null);

    /// <summary>CLIPImageProcessor's defaults with the given square input size (shortest edge = crop = size).</summary>
    public static ClipImageProcessorConfig ForImageSize(int size) => new() { ShortestEdge = size, CropHeight = size, CropWidth = size };

    public static ClipImageProcessorConfig Load(string path) => From(HfConfig.Load(path));

    public static ClipImageProcessorConfig From(HfConfig config)
    {
        var defaults = new ClipImageProcessorConfig();
        var (shortest, height, width) = ReadSize(config, defaults);
        var (cropHeight, cropWidth) = ReadCropSize(config, defaults);
        var resample = config.Int("resample", (int)defaults.Resample);
        if (!Enum.IsDefined(typeof(ResampleFilter), resample))
            throw new InvalidDataException($"{config.Source}: resample {resample} is not supported (PIL filters 1-5: LANCZOS, BILINEAR, BICUBIC, BOX, HAMMING)");
        var result = new ClipImageProcessorConfig
        {
            DoResize = config.Bool("do_resize", defaults.DoResize),
            ShortestEdge = shortest,
            ResizeHeight = height,
            ResizeWidth = width,
            Resample = (ResampleFilter)resample,
            DoCenterCrop = config.Bool("do_center_crop", defaults.DoCenterCrop),
            CropHeight = cropHeight,
            CropWidth = cropWidth,
            DoRescale = config.Bool("do_rescale", defaults.DoRescale),
            RescaleFactor = config.Double("rescale_factor", defaults.RescaleFactor),
            DoNormalize = config.Bool("do_normalize", defaults.DoNormalize),
            ImageMean = config.DoubleArray("image_mean", [.. defaults.ImageMean]),
            ImageStd = config.DoubleArray("image_std", [.. defaults.ImageStd]),
            DoPad = config.Has("do_pad") ? config.Bool("do_pad", false) : null,
        };
        if (result.ImageMean.Count != 3 || result.ImageStd.Count != 3)
            throw new InvalidDataException($"{config.Source}: image_mean and image_std need 3 values (R, G, B)");
        if (result.ImageStd.Any(s => s <= 0))
            throw new InvalidDataException($"{config.Source}: image_std values must be positive");
        if (new[] { result.ShortestEdge ?? 1, result.ResizeHeight ?? 1, result.ResizeWidth ?? 1, result.CropHeight, result.CropWidth }.Any(v => v <= 0))
            throw new InvalidDataException($"{config.Source}: sizes must be positive");
        return result;
    }

    private static (int? Shortest, int? Height, int? Width) ReadSize(HfConfig config, ClipImageProcessorConfig defaults)
    {
        switch (config.Raw("size"))
        {
            case null:
                return (defaults.ShortestEdge, null, null);
            case JsonObject:
                var size = config.Section("size");
                if (size.Has("shortest_edge")) return (size.RequireInt("shortest_edge"), null, null);
                if (size.Has("height") && size.Has("width")) return (null, size.RequireInt("height"), size.RequireInt("width"));
                throw new InvalidDataException($"{config.Source}: 'size' needs 'shortest_edge' or 'height' and 'width', not {config.Raw("size")!.ToJsonString()}");
            default:
                return (config.RequireInt("size"), null, null);
        }
    }

    private static (int Height, int Width) ReadCropSize(HfConfig config, ClipImageProcessorConfig defaults)
    {
        switch (config.Raw("crop_size"))
        {
            case null:
                return (defaults.CropHeight, defaults.CropWidth);
            case JsonObject:
                var crop = config.Section("crop_size");
                return (crop.RequireInt("height"), crop.RequireInt("width"));
            default:
                var side = config.RequireInt("crop_size");
                return (side, side);
        }
    }

    /// <summary>The file as transformers' save_pretrained writes it for these settings.</summary>
    public JsonObject ToJson()
    {
        var json = new JsonObject
        {
            ["crop_size"] = new JsonObject { ["height"] = CropHeight, ["width"] = CropWidth },
            ["do_center_crop"] = DoCenterCrop,
            ["do_convert_rgb"] = true,
            ["do_normalize"] = DoNormalize,
            ["do_rescale"] = DoRescale,
            ["do_resize"] = DoResize,
            ["image_mean"] = new JsonArray(ImageMean.Select(m => (JsonNode)m).ToArray()),
            ["image_processor_type"] = "CLIPImageProcessor",
            ["image_std"] = new JsonArray(ImageStd.Select(s => (JsonNode)s).ToArray()),
            ["resample"] = (int)Resample,
            ["rescale_factor"] = RescaleFactor,
            ["size"] = ShortestEdge is { } edge
                ? new JsonObject { ["shortest_edge"] = edge }
                : new JsonObject { ["height"] = ResizeHeight, ["width"] = ResizeWidth },
        };
        if (DoPad is { } pad) json["do_pad"] = pad;
        return json;
    }
}
