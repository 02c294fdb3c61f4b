using Mustafar.Models.Fusion;
using Mustafar.Models.Generation;
using Mustafar.Tensors;
using Mustafar.Torch;
using TorchSharp;

namespace Mustafar.CheckpointWriters.RealSize;

/// <summary>
/// Random-weight checkpoints at the real models' sizes, in the folders the real-size mesh serves (the layout of
/// <see cref="DemoCheckpoints.Paths"/>): an SD 2.1-base diffusers pipeline (text encoder, VAE encoder, U-Net,
/// scheduler) and a llava-hf checkpoint with Vicuna-7B's layer shapes and <see cref="Options.Layers"/> decoder
/// layers, CLIP ViT-L/14-336 as its vision tower (which the CLIP service loads) and the paper's cross-attention
/// fusion on the tap U-L1-R1-B0-Cross-Q, sized from the pipeline's own config. The tokenizers are the project's
/// small self-made ones (the real vocabularies cannot be downloaded here); the embedding tables keep their real
/// sizes. Written once per format, seed, layer count and dtype (a stamp file says what a folder holds).
/// </summary>
public static class RealSizeCheckpoints
{
    public const int FormatVersion = 1;
    public const string StampFile = "real-size-models.json";

    /// <summary>Decoder layers by default: two of Vicuna-7B's (1.6 GB in float32) fit beside the encoders on a
    /// 23 GB machine with every service running; per-layer costs scale to 32.</summary>
    public const int DefaultLayers = 2;

    /// <summary>Heads of the fusion's cross-attention block (docs/fusion-checkpoints.md's example; divides CLIP's 1024).</summary>
    public const int CrossAttentionHeads = 16;

    /// <summary>Where the real-size mesh keeps them, relative to the repository root (git-ignored; mesh.sh uses the
    /// same path).</summary>
    public static string DefaultFolder(int layers) => Path.Combine("artifacts", "real-size", $"layers-{layers}");

    /// <summary>What to write. <paramref name="SaveDType"/> is the files' dtype; the services convert to their
    /// compute dtype while loading, so float32 files serve a bfloat16 mesh too.</summary>
    public sealed record Options(int Layers = DefaultLayers, torch.ScalarType SaveDType = torch.ScalarType.Float32, int Seed = 1234);

    public static DemoCheckpoints.Written Ensure(string root, RealSizeConfigs configs, Options options)
    {
        var paths = DemoCheckpoints.In(root);
        var wanted = new Stamp(FormatVersion, options.Seed, options.Layers, DTypeName(options.SaveDType),
            "random weights at the real models' sizes: for benchmarks; the answers are meaningless");
        var reused = CheckpointStamp.Ensure(paths.Root, StampFile, wanted, [paths.Diffusion, paths.Generator], () => Write(paths, configs, options));
        return new DemoCheckpoints.Written(paths, reused, FusionKind.CrossAttention, DemoCheckpoints.DefaultTap(paths.Diffusion));
    }

    private static void Write(DemoCheckpoints.Paths paths, RealSizeConfigs configs, Options options)
    {
        TinyStableDiffusionWriter.Write(paths.Diffusion, configs.TextEncoder, configs.Vae, configs.UNet, options.Seed, options.SaveDType, "real-size (SD 2.1-base configs)");
        var tap = DemoCheckpoints.DefaultTap(paths.Diffusion);
        var weights = new TinyLlavaOptions
        {
            Layout = CheckpointLayout.LlavaHf,
            Mode = FusionKind.CrossAttention,
            Seed = options.Seed,
            SaveDType = options.SaveDType,
            WeightStd = 0.02,
            DiffusionTap = tap.Name,
            DiffusionChannels = tap.Channels,
            DiffusionGridHeight = tap.GridHeight,
            DiffusionGridWidth = tap.GridWidth,
            CrossAttentionHeads = CrossAttentionHeads,
        };
        var sentencePiece = LlamaTinySentencePiece.Build(weights.SentencePieceVocab);
        var fusion = TinyLlavaCheckpoint.Fusion(weights)!;
        var config = configs.GeneratorConfig(options.Layers, imageTokenId: sentencePiece.Pieces.Count, fusion, DTypeName(options.SaveDType));
        TinyLlavaCheckpoint.Write(paths.Generator, config, sentencePiece, weights);
    }

    private static string DTypeName(torch.ScalarType dtype) => DTypes.Name(TorchDTypes.ToDType(dtype));

    private sealed record Stamp(int Version, int Seed, int Layers, string DType, string Note);
}
